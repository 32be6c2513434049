"""Deterministic synthetic vacancies and resumes, in Russian and English, with their ground-truth labels;
simulated recruiters deciding on them by a hidden fit."""

from careerrank.synthetic.fit import hidden_fit
from careerrank.synthetic.generator import BASE_TIME, Label, generate, professions, resume, vacancy, write_dataset
from careerrank.synthetic.recruiters import Recruiter, Simulation, Truth, simulate

__all__ = [
    "BASE_TIME",
    "Label",
    "Recruiter",
    "Simulation",
    "Truth",
    "generate",
    "hidden_fit",
    "professions",
    "resume",
    "simulate",
    "vacancy",
    "write_dataset",
]
