"""Installs protattn; the configuration (packages, version, dependencies) is in pyproject.toml."""

from setuptools import setup

setup()
