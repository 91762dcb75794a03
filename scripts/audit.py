"""An auditor prints the trail of a dataset (rebuilt from chain events).

    brownie run scripts/audit.py main DATASET --network NAME
    brownie run scripts/audit.py model NAME --network NAME
"""

from aitrail.flows import dataset_trail, model_trail, trail_table
from scripts.sdk_session import session


def main(dataset_id):
    trail = dataset_trail(session(), int(dataset_id))
    print(trail_table(trail["trail"]))
    return trail


def model(reference):
    trail = model_trail(session(), reference)
    print(trail_table(trail["trail"]))
    return trail
