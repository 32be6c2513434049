"""Key management for the admin role: make a key (its secret form is shown once), list keys, revoke one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from careerrank.api.access import Admin
from careerrank.storage.api_keys import ApiKey, Role

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class NewKey(BaseModel):
    role: Role
    employer_id: str | None = Field(
        default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/]+$",
        description="A recruiter's employer (only a recruiter's key has one).",
    )  # fmt: skip
    name: str = Field(default="", max_length=200, description="Whose key it is, in words.")

    @model_validator(mode="after")
    def _employer_of_recruiter_only(self) -> NewKey:
        if (self.role == "recruiter") != (self.employer_id is not None):
            raise ValueError("a recruiter's key names its employer, and only a recruiter's key does")
        return self


class KeyInfo(BaseModel):
    id: str
    role: Role
    employer_id: str | None
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyInfo:
        return cls.model_validate(key, from_attributes=True)


class CreatedKey(KeyInfo):
    key: str = Field(description="The key itself: shown this once, stored only as a hash.")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedKey)
async def create_key(request: Request, principal: Admin, new: NewKey) -> CreatedKey:
    async with request.app.state.database.session() as session:
        key, secret = await session.api_keys.create(new.role, new.employer_id, new.name)
    return CreatedKey(**KeyInfo.of(key).model_dump(), key=secret)


@router.get("", response_model=list[KeyInfo])
async def list_keys(request: Request, principal: Admin) -> list[KeyInfo]:
    async with request.app.state.database.session() as session:
        return [KeyInfo.of(k) for k in await session.api_keys.all()]


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"description": "Not found"}})
async def revoke_key(
    request: Request, principal: Admin, key_id: Annotated[str, Path(min_length=1, max_length=64)]
) -> Response:
    async with request.app.state.database.session() as session:
        if not await session.api_keys.revoke(key_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "key not found")
    request.app.state.keys.forget()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
