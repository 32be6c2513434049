"""Deterministic synthetic vacancies and resumes, in Russian and English, with their ground-truth labels."""

from careerrank.synthetic.generator import BASE_TIME, Label, generate, professions, resume, vacancy, write_dataset

__all__ = ["BASE_TIME", "Label", "generate", "professions", "resume", "vacancy", "write_dataset"]
