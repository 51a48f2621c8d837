"""Installs the protattn core, the PyMOL plugin package and the `protattn` command."""

from setuptools import setup

setup(
    name="protattn",
    version="0.1.0",
    description="Protein language model attention on the structure you have open (PyMOL, ChimeraX, CLI)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=["protattn", "protattn_pymol"],
    package_dir={"protattn": "core/protattn", "protattn_pymol": "plugin/protattn_pymol"},
    install_requires=[
        "numpy",
        "biopython",
        "torch",
        "transformers>=4.40",
        "antiberty==0.1.3",
        "matplotlib",
        "tqdm",
    ],
    extras_require={"pymol": ["pymol-open-source"]},
    entry_points={"console_scripts": ["protattn = protattn.cli:main"]},
)
