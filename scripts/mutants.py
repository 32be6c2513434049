"""Targeted mutants of the workers' batch logic, the consume loop, event admission, the scorer's ranking and the
HTTP API's access rules: each must be killed by the fast unit tests (the ranking's and the API's by their
integration tests against the real services).

    .venv/bin/python scripts/mutants.py [--jobs 2] [--timeout 180] [--full | --tests PATH ...] [--only NAME ...]

Each mutant is one exact snippet of a source file and its replacement: a bug the suite is meant to catch.
The repository (tracked and untracked, not ignored files, as they are now) is snapshotted once; every mutant
runs in its own copy of that snapshot, with the replacement applied, under the project's virtual
environment. A mutant is killed when its test selection fails (or times out). JSON on stdout:
``{mutants: [{name, file, description, killed, seconds, tests_failed?}], survived: [...], killed_ratio}``.
Exits 1 when a mutant survives, 2 when a snippet is not found exactly once (the code moved: adjust it),
3 when the unmutated snapshot already fails its tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

# The workers' unit tests over the in-memory data-access layer, and the list maintenance they rely on: a few
# seconds, deterministic inputs. ``--full`` runs all of tests/unit instead.
FAST = (
    "tests/unit/test_embedder.py",
    "tests/unit/test_matcher.py",
    "tests/unit/test_batch_edges.py",
    "tests/unit/test_incremental.py",
)
FULL = ("tests/unit",)


@dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    file: str
    original: str
    replacement: str
    description: str
    tests: tuple[str, ...] = FAST


EMBEDDER = "workers/embedder.py"
MATCHER = "workers/matcher.py"
INCREMENTAL = "careerrank/retrieval/incremental.py"
CONSUMER = "workers/consumer.py"
ISOLATION = "workers/isolation.py"
SCREEN = "careerrank/retrieval/screen.py"
CRASH_GUARD = "workers/crash_guard.py"
ENVELOPE = "schemas/envelope.py"
LIST_RANKING = "careerrank/scoring/list_ranking.py"
LIST_TOPS = "careerrank/scoring/list_tops.py"
FEATURES = "careerrank/scoring/features.py"
CONSUME_LOOP = ("tests/unit/test_consumer.py",)
ADMISSION = ("tests/unit/test_schemas.py", "tests/unit/test_embedder.py")
# The recruiters' lists against the real services (a brute-force ranking of every list): about 15 s.
RANKED_LISTS = ("tests/integration/test_ranked_lists.py",)
# The HTTP API's access rules and limits, against the real services.
API = ("tests/integration/test_api.py", "tests/integration/test_api_security.py")
PAGES = ("tests/integration/test_web_pages.py",)

MUTANTS = [
    # --- embedder ---------------------------------------------------------------------------------------
    Mutant(
        "embedder-reversed-rows",
        EMBEDDER,
        "await session.embeddings.copy(kind, model, fresh, w.vectors[rows])",
        "await session.embeddings.copy(kind, model, fresh, w.vectors[rows][::-1])",
        "a batch's vectors are stored in reversed rows: items get each other's vectors",
    ),
    Mutant(
        "embedder-ignores-processed-events",
        EMBEDDER,
        "done = await session.events.processed([e.event_id for e, _ in events])",
        "done: set[str] = set()",
        "the processed-event log is not consulted: a redelivered event is treated as new",
    ),
    Mutant(
        "embedder-kinds-share-vector-offset",
        EMBEDDER,
        "offset += len(w.to_encode)",
        "offset += 0",
        "every kind takes its vectors from the start of the batch's encodings (resumes get vacancies' vectors)",
    ),
    Mutant(
        "embedder-no-stale-check",
        EMBEDDER,
        "if state is not None and event.occurred_at <= state.version:",
        "if state is not None and event.occurred_at < state.version:",
        "an event at the stored version is not stale: it is encoded and written again",
    ),
    Mutant(
        "embedder-batch-keeps-oldest",
        EMBEDDER,
        "if current is None or event.occurred_at > current[0].occurred_at:",
        "if current is None or event.occurred_at < current[0].occurred_at:",
        "within a batch the oldest event of an item wins instead of the newest",
    ),
    Mutant(
        "embedder-changed-text-keeps-vector",
        EMBEDDER,
        "if state is None or state.embedded_hash != digest:",
        "if state is None:",
        "an update with a new text keeps the old vector (only new items are encoded)",
    ),
    Mutant(
        "embedder-unchanged-text-reencoded",
        EMBEDDER,
        "if state is None or state.embedded_hash != digest:",
        "if True:",
        "an update that keeps the text is encoded again",
    ),
    Mutant(
        "embedder-kept-vector-version-not-bumped",
        EMBEDDER,
        "await session.embeddings.bump_versions(kind, model, kept)",
        "await session.embeddings.bump_versions(kind, model, [])",
        "a kept vector stays at the old version, so the matcher never finds it at the item's version",
    ),
    Mutant(
        "embedder-close-keeps-vector",
        EMBEDDER,
        "await session.embeddings.drop_older(kind, [c.id for c in w.closures], [c.occurred_at for c in w.closures])",
        "await session.embeddings.drop_older(kind, [], [])",
        "a close leaves the item's vector in place",
    ),
    Mutant(
        "embedder-replayed-commit-not-announced",
        EMBEDDER,
        """            if event.event_id in replayed:
                written.redelivered.setdefault(kind, set()).add(event.id)
                continue""",
        """            if event.event_id in replayed:
                continue""",
        "a commit retried after it went through announces nothing for the upserts it finds written",
    ),
    Mutant(
        "embedder-redelivery-not-announced",
        EMBEDDER,
        "redelivered[kind].add(event.id)",
        "redelivered[kind].discard(event.id)",
        "a redelivered event (committed before a crash) is not announced again",
    ),
    Mutant(
        "embedder-stale-close-announced",
        EMBEDDER,
        """            if closure.id in closed:
                written.updates.append""",
        """            if True:
                written.updates.append""",
        "a close the item moved past is announced as a removal",
    ),
    # --- matcher ----------------------------------------------------------------------------------------
    Mutant(
        "matcher-acks-invalid-update",
        MATCHER,
        """        except ValidationError as exc:
            raise InvalidMessage("schema_invalid", f"invalid index update: {describe_errors(exc)}") from exc""",
        """        except ValidationError:
            update = IndexUpdate.model_construct()""",
        "an invalid index update is decoded into an empty one (acked) instead of rejected",
    ),
    Mutant(
        "matcher-batch-keeps-oldest",
        MATCHER,
        "if key not in latest or update.version > latest[key].version:",
        "if key not in latest or update.version < latest[key].version:",
        "within a batch the oldest update of an item wins instead of the newest",
    ),
    Mutant(
        "matcher-rematches-duplicates",
        MATCHER,
        "elif state.matched_version is not None and state.matched_version >= update.version:",
        "elif state.matched_version is not None and state.matched_version > update.version:",
        "an update already matched at its version is matched (and written) again",
    ),
    Mutant(
        "matcher-skips-removals",
        MATCHER,
        "plan.removals[kind].append(update.id)",
        "plan.removals[kind].extend([])",
        "a removal is marked done without leaving the index or the lists",
    ),
    Mutant(
        "matcher-not-marked-matched",
        MATCHER,
        "await session.items.mark_matched(kind, ids, versions)",
        "await session.items.mark_matched(kind, [], [])",
        "lists are written but the items' matched version does not move",
    ),
    # --- list maintenance -------------------------------------------------------------------------------
    Mutant(
        "moved-target-entries-kept",
        INCREMENTAL,
        "                if moved.any():",
        "                if False:",
        "a target whose vector moved keeps its old entries and scores in other lists",
    ),
    Mutant(
        "lists-losing-a-target-not-written",
        INCREMENTAL,
        "dirty[opposite(kind)].update(self.lists[opposite(kind)].remap_targets(compaction, self.k).tolist())",
        "self.lists[opposite(kind)].remap_targets(compaction, self.k)",
        "lists that lost a removed target change in memory but are not written",
    ),
    Mutant(
        "candidates-into-searched-lists",
        INCREMENTAL,
        "outside = ~np.isin(rows, fresh[kind])",
        "outside = np.ones(len(rows), dtype=bool)",
        "candidates are also merged into lists searched in full this batch",
    ),
    Mutant(
        "short-lists-not-searched",
        INCREMENTAL,
        "short = self.lists[kind].short(self.k, len(self.indexes[opposite(kind)]))",
        "short = np.zeros(0, dtype=np.intp)",
        "a list whose reserve ran out (fewer than K left) is not searched again",
    ),
    Mutant(
        "removed-source-list-kept",
        INCREMENTAL,
        "removed = [source for source in changes[kind].removed if source not in index]",
        "removed: list[str] = []",
        "a removed item's own list is not deleted",
    ),
    Mutant(
        "changed-items-never-enter-lists",
        SCREEN,
        "cols = torch.nonzero(low.amax(dim=0) > screen_at, as_tuple=True)[0]",
        "cols = torch.nonzero(low.amax(dim=0) > screen_at + 2, as_tuple=True)[0]",
        "a new or moved item never enters the lists of the other kind",
    ),
    # --- the consume loop -------------------------------------------------------------------------------
    Mutant(
        "screen-without-margin",
        SCREEN,
        "return scale * ((2 * u + u * u) + u * (1 + u) ** 2 + dim * 2.0**-23) + 1e-6",
        "return 0.0",
        "the bfloat16 screen trusts its own scores: near-tied targets are left out of lists",
        (*FAST, "tests/unit/test_screen.py"),
    ),
    Mutant(
        "consumer-no-lone-tries",
        CONSUMER,
        "suspects = [m for m in batch if guard is not None and guard.is_suspect(m)]",
        "suspects: Messages = []",
        "messages that keep coming back are batched as usual: a crash loop cannot tell the killer from the rest",
        CONSUME_LOOP,
    ),
    Mutant(
        "consumer-lone-try-not-ended",
        CONSUMER,
        'await suppressed(alone.end(), "end of a lone try")',
        "pass",
        "a lone try that nothing settled is left on the record: an innocent message is blamed for a death",
        CONSUME_LOOP,
    ),
    Mutant(
        "lone-try-record-outlives-the-ack",
        CRASH_GUARD,
        "        await self.end()\n        await self._message.ack(multiple=multiple)",
        "        await self._message.ack(multiple=multiple)\n        await self.end()",
        "a worker killed between the ack and the end of a lone try leaves a record of a message that is gone",
        CONSUME_LOOP,
    ),
    Mutant(
        "moved-targets-not-followed",
        "careerrank/retrieval/resident.py",
        "touched[moved.touched()] = True",
        "touched[moved.removed] = True",
        "entries of a target that a removal moved into a hole keep pointing at its old position",
    ),
    Mutant(
        "moved-rows-leave-the-screen-behind",
        "careerrank/retrieval/vector_store.py",
        "self._low[torch.from_numpy(dest.astype(np.int64))] = self._low[torch.from_numpy(source.astype(np.int64))]",
        "pass",
        "a removal moves a vector but not its bfloat16 copy: the screen scores the hole's old vector",
        ("tests/unit/test_exact_index.py", *FAST),
    ),
    Mutant(
        "rows-not-following-their-sources",
        INCREMENTAL,
        "                self.lists[kind].move_rows(compaction)",
        "                pass",
        "a removal moves the source index's last rows into its holes, but not their lists",
    ),
    Mutant(
        "closed-targets-not-written-again",
        INCREMENTAL,
        "self.rewrite[kind].update(sources.ids[row] for row in stale.tolist())",
        "pass",
        "stored lists naming an item that closed while the matcher was down keep naming it",
    ),
    Mutant(
        "consumer-crash-limit-off-by-one",
        CONSUMER,
        "if crashes >= guard.crash_limit:",
        "if crashes > guard.crash_limit:",
        "a message that killed the worker crash_limit times is run once more",
        CONSUME_LOOP,
    ),
    Mutant(
        "consumer-parts-not-dead-lettered",
        CONSUMER,
        "for part in decoded.rejected:",
        "for part in decoded.rejected[:0]:",
        "a rejected element of a batch message is dropped without a dead letter",
        CONSUME_LOOP,
    ),
    Mutant(
        "consumer-rejection-retried",
        ISOLATION,
        "if isinstance(exc, RejectedError):\n                code, reason = exc.code, exc.reason",
        "if False:\n                code, reason = exc.code, exc.reason",
        "a message that can never be processed is retried with delays instead of dead-lettered at once",
        CONSUME_LOOP,
    ),
    Mutant(
        "consumer-acks-before-commit",
        CONSUMER,
        'ok, _, error = await self._stage("commit", lambda: self._handler.commit(prepared))',
        "await _ack([d.message for d in deliveries])\n"
        '        ok, _, error = await self._stage("commit", lambda: self._handler.commit(prepared))',
        "messages are acked before their batch is committed: a crash in between loses them",
        CONSUME_LOOP,
    ),
    Mutant(
        "consumer-transient-isolated",
        ISOLATION,
        "except TransientError:\n                await suppressed(delivery.message.nack(requeue=True)",
        "except ZeroDivisionError:\n                await suppressed(delivery.message.nack(requeue=True)",
        "an outage while a message is tried alone counts against the message (retried, then dead-lettered)",
        CONSUME_LOOP,
    ),
    # --- admission of events ------------------------------------------------------------------------------
    Mutant(
        "element-body-not-ascii",
        ENVELOPE,
        "return json.dumps(element, ensure_ascii=True).encode()",
        "return json.dumps(element, ensure_ascii=False).encode()",
        "the dead letter of an element holding a lone surrogate cannot be built: its good neighbours are retried",
        ADMISSION,
    ),
    Mutant(
        "deep-nesting-not-malformed",
        ENVELOPE,
        '    except (ValueError, RecursionError) as exc:\n        raise InvalidEvent("malformed_json"',
        '    except ValueError as exc:\n        raise InvalidEvent("malformed_json"',
        "deep nesting is a processing error (retried for a minute) instead of a malformed body",
        ADMISSION,
    ),
    Mutant(
        "bom-not-stripped",
        ENVELOPE,
        "return body[len(_BOM) :] if body.startswith(_BOM) else body",
        "return body",
        "a byte-order mark before a valid body rejects the whole message",
        ADMISSION,
    ),
    Mutant(
        "no-clock-skew-limit",
        ENVELOPE,
        "if not_after is not None and occurred_at > not_after:",
        "if False:",
        "an occurred_at of 9999-12-31 is accepted and freezes the item",
        ADMISSION,
    ),
    Mutant(
        "routing-key-ignored",
        ENVELOPE,
        "if routing_key is not None and routing_key != family.batch_key and routing_key != event_type:",
        "if False:",
        "a body whose type disagrees with its routing key is applied by the body",
        ADMISSION,
    ),
    Mutant(
        "unknown-key-echoed",
        ENVELOPE,
        'path = (*path[:-1], "<unexpected field>")',
        "pass",
        "an unexpected key (a producer's string) is named in the reason",
        ADMISSION,
    ),
    Mutant(
        "pair-scores-outlive-their-postings",
        LIST_RANKING,
        "                    i = at.get(id(target))",
        "                    i = {p.id: j for j, p in enumerate(prior.targets)}.get(target.id)",
        "a remembered pair's score is kept after the candidate's posting changes",
        RANKED_LISTS,
    ),
    Mutant(
        "ranking-keeps-postings-that-moved-on",
        "careerrank/scoring/ranking_postings.py",
        "if cached is not None and (cached.version != version or not is_open):",
        "if cached is not None and not is_open:",
        "the ranking goes on scoring a posting's old version after it changed",
        RANKED_LISTS,
    ),
    Mutant(
        "unchanged-list-skipped-whatever-is-stored",
        LIST_RANKING,
        "and c.ranked == (scorer.version, [targets[n].id for n in shown], [k.scores[n] for n in shown])",
        "and c.ranked is not None",
        "a list whose shown rows this scorer remembers is not written, though another ranking is stored",
        RANKED_LISTS,
    ),
    Mutant(
        "lists-not-ranked-again-after-activation",
        LIST_RANKING,
        "await session.ranked_lists.rank_all_under(version)",
        "await session.ranked_lists.ranked_under()",
        "activating another model leaves the lists ranked by the old one",
        RANKED_LISTS,
    ),
    Mutant(
        "flag-guessed-without-a-model",
        LIST_TOPS,
        "        cosines,\n        None,\n",
        "        cosines,\n        [True] * len(shown),\n",
        "lists ranked by cosine carry a suitable flag nobody computed",
        RANKED_LISTS,
    ),
    Mutant(
        "features-depend-on-the-batch",
        FEATURES,
        "products = dense[other_indices] * other_weights.astype(np.float64)",
        "products = (dense[other_indices].astype(np.float32) * other_weights).astype(np.float64)",
        "one item's candidates get other feature bits than the same pairs in a mixed batch",
        ("tests/unit/test_features.py",),
    ),
    Mutant(
        "scorer-ignores-a-reindexed-model",
        "careerrank/scoring/active_model.py",
        "self.embedding_model = await session.models.active() or self._configured_embedding_model",
        "self.embedding_model = self._configured_embedding_model",
        "after a reindex to another embedding model, lists are ranked with cosines of the old vectors",
        RANKED_LISTS,
    ),
    Mutant(
        "recruiter-reads-another-employers-vacancy",
        "careerrank/api/access.py",
        'if not exists or (principal.role == "recruiter" and employer != principal.employer_id):',
        "if not exists:",
        "a recruiter's key reads any employer's vacancy, its lists and applications",
        API,
    ),
    Mutant(
        "recruiter-reads-any-resume",
        "careerrank/api/access.py",
        "if not await session.views.resume_visible_to(principal.employer_id, resume_id):",
        "if not principal.employer_id:",
        "a recruiter's key reads resumes outside its employer's lists and applications",
        API,
    ),
    Mutant(
        "admin-reads-data",
        "careerrank/api/access.py",
        'Reader = Annotated[Principal, allow("job_board", "recruiter")]',
        'Reader = Annotated[Principal, allow("job_board", "recruiter", "admin")]',
        "the admin role, meant for keys only, reads every employer's data",
        API,
    ),
    Mutant(
        "revoked-key-still-works",
        "careerrank/storage/api_keys.py",
        "FROM api_keys k WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
        "FROM api_keys k WHERE k.key_hash = $1",
        "a revoked key keeps reading and posting",
        API,
    ),
    Mutant(
        "streamed-body-unbounded",
        "careerrank/api/app.py",
        "if seen > self.max_bytes:",
        "if seen > 64 * self.max_bytes:",
        "a body without Content-Length is read far past the limit",
        API,
    ),
    Mutant(
        "etag-ignores-the-page",
        "careerrank/api/reads.py",
        "revalidate(request, response, ranked.ranked_at, ranked.model_version, limit, offset)",
        "revalidate(request, response, ranked.ranked_at, ranked.model_version)",
        "another page of the same list answers 304 to the first page's ETag",
        API,
    ),
    Mutant(
        "page-posts-without-csrf",
        "careerrank/api/web_session.py",
        "if not _same(await _sent_token(request, CSRF_FIELD), user.csrf_token):",
        "if not user.csrf_token:",
        "a form posted from another site (no CSRF token) records feedback",
        PAGES,
    ),
]


@dataclass
class Result:
    mutant: Mutant
    killed: bool
    seconds: float
    tests_failed: list[str]
    timed_out: bool = False
    output: str = ""

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.mutant.name,
            "file": self.mutant.file,
            "description": self.mutant.description,
            "killed": self.killed,
            "seconds": round(self.seconds, 1),
        }
        if self.tests_failed:
            out["tests_failed"] = self.tests_failed
        if self.timed_out:
            out["timed_out"] = True
        return out


def repository_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    # A tracked file deleted in the working tree is not part of the snapshot.
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def snapshot(into: Path) -> None:
    for name in repository_files():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    # The environment is shared, not copied; imports still resolve to the copy (see run_tests).
    (into / ".venv").symlink_to(ROOT / ".venv")


def not_applicable(base: Path, mutants: list[Mutant]) -> list[str]:
    problems = []
    for m in mutants:
        path = base / m.file
        count = path.read_text(encoding="utf-8").count(m.original) if path.is_file() else -1
        if count != 1:
            where = "file missing" if count < 0 else f"snippet found {count} times"
            problems.append(f"{m.name}: not applicable ({m.file}: {where})")
    return problems


def run_tests(copy: Path, tests: tuple[str, ...], timeout_s: float) -> tuple[int | None, str]:
    """pytest in ``copy``; the return code, or None on timeout, and the output."""
    # The editable install maps the packages to the original checkout; the copy first on sys.path wins.
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [str(PYTHON), "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return None, output
    return done.returncode, done.stdout + done.stderr


def failed_tests(output: str) -> list[str]:
    return sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)))


def check_imports_from(copy: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    probe = "import careerrank.retrieval.incremental as a, workers.embedder as b; print(a.__file__); print(b.__file__)"
    shown = subprocess.run([str(PYTHON), "-c", probe], cwd=copy, env=env, capture_output=True, text=True, check=True)
    for line in shown.stdout.split():
        if not Path(line).resolve().is_relative_to(copy.resolve()):
            raise SystemExit(f"the copy imports {line} from outside itself; mutants would not be tested")


def run_mutant(base: Path, scratch: Path, mutant: Mutant, tests: tuple[str, ...] | None, timeout_s: float) -> Result:
    copy = Path(tempfile.mkdtemp(prefix=f"{mutant.name}-", dir=scratch))
    try:
        shutil.copytree(base, copy, symlinks=True, dirs_exist_ok=True)
        path = copy / mutant.file
        path.write_text(path.read_text(encoding="utf-8").replace(mutant.original, mutant.replacement), "utf-8")
        started = time.monotonic()
        code, output = run_tests(copy, tests or mutant.tests, timeout_s)
        seconds = time.monotonic() - started
        # Exit code 5 (nothing collected) or 4 (usage) would be an error of this script, not a kill.
        if code in (4, 5):
            raise SystemExit(f"{mutant.name}: pytest could not run the selection:\n{output[-2000:]}")
        return Result(mutant, code != 0, seconds, failed_tests(output), code is None, output)
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (at most the CPU count)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per mutant's test run")
    parser.add_argument("--full", action="store_true", help="run all of tests/unit for every mutant")
    parser.add_argument("--tests", nargs="+", metavar="PATH", help="this test selection for every mutant")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()

    mutants = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.name for m in MUTANTS}
        if unknown:
            parser.error(f"unknown mutants: {sorted(unknown)}")
        mutants = [m for m in MUTANTS if m.name in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.name:42} {m.file:38} {m.description}")
        return 0
    jobs = max(1, min(args.jobs, os.cpu_count() or 1))
    tests = tuple(args.tests) if args.tests else FULL if args.full else None

    with tempfile.TemporaryDirectory(prefix="careerrank-mutants-") as scratch_dir:
        scratch = Path(scratch_dir)
        base = scratch / "base"
        base.mkdir()
        snapshot(base)
        check_imports_from(base)
        problems = not_applicable(base, mutants)
        for problem in problems:
            print(problem, file=sys.stderr)
        applicable = [m for m in mutants if not any(p.startswith(f"{m.name}:") for p in problems)]

        # The unmutated snapshot must pass every selection used, or a "kill" means nothing.
        for selection in sorted({tests or m.tests for m in applicable}):
            code, output = run_tests(base, selection, args.timeout)
            if code != 0:
                print(f"the unmutated code fails {' '.join(selection)}:\n{output[-4000:]}", file=sys.stderr)
                return 3

        def one(m: Mutant) -> Result:
            result = run_mutant(base, scratch, m, tests, args.timeout)
            verdict = "killed" if result.killed else "SURVIVED"
            print(f"{verdict:8} {m.name} ({result.seconds:.1f} s)", file=sys.stderr)
            return result

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, applicable))

    survived = [r.mutant.name for r in results if not r.killed]
    report = {
        "mutants": [r.as_json() for r in results],
        "survived": survived,
        "not_applicable": [p.split(":", 1)[0] for p in problems],
        "killed_ratio": round(sum(r.killed for r in results) / len(results), 3) if results else 0.0,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if problems:
        return 2
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
