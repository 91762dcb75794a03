"""The Merkle benchmark's comparison machinery on a small run (figures come from the command, not tests)."""

from bench.merkle import run, sample_indices, synthetic_records


def test_small_run_compares_roots_and_every_proof_with_npm(tmp_path):
    result = run(301, "all", 10, tmp_path)
    assert result["root_identical"] is True
    assert result["all_proofs_identical"] is True
    assert result["sample_proofs_identical"] is True
    assert result["aitrail"]["proofs"] == result["npm"]["proofs"] == 301
    assert result["aitrail"]["peak_rss_mib"] > 0 and result["npm"]["peak_rss_mib"] > 0


def test_sample_mode_extrapolates_and_says_so(tmp_path):
    result = run(50, "sample", 5, tmp_path)
    assert result["npm"]["all_proofs_extrapolated"] is True
    assert result["all_proofs_identical"] is None
    assert result["sample_proofs_compared"] == len(sample_indices(50, 5))


def test_synthetic_records_are_deterministic_and_packed():
    assert synthetic_records(3) == synthetic_records(3)
    assert len(synthetic_records(3)) == 3 * 96
