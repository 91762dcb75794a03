"""The ecosystem's formats, written from (and read into) what aitrail records: MLCommons Croissant for
datasets, Hugging Face model cards for model versions. Pure functions over chain facts and metadata
documents; the flows (aitrail/flows/formats.py) gather those facts."""
