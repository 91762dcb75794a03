"""Issue 16, the report: `aitrail audit dataset|model --format html|csv -o FILE` on the embedded chain. The
HTML is one self-contained file whose user-supplied texts (a dataset name, a model name shaped as XSS) are
escaped; headless Chromium (Debian package, installed by `make setup`) renders it: the screenshot is not
blank and the DOM holds the timeline rows and the lineage."""

import csv
import io
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import pytest

from aitrail.chain.accounts import dev_account
from tests.cli_support import cli, private_home

OWNER, RESEARCHER, STRANGER = "anvil1", "anvil2", "anvil3"
EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("aitrail-report")) as root:
        cli("deploy", "--treasury", "1000")
        data = root / "cohort.csv"
        data.write_text("id,age\np1,54\np2,61\np3,70\n")
        cli("dataset", "register", data, "--name", EVIL, "--license", "CC0", account=OWNER)
        cli("access", "request", 1, "--days", "3", "--purpose", '=HYPERLINK("x")', account=RESEARCHER)
        cli("access", "grant", 1, dev_account(RESEARCHER).address, "--days", "3", account=OWNER)
        weights = root / "weights.bin"
        weights.write_bytes(b"weights v1")
        cli("model", "publish", EVIL, weights, "--dataset", 1, account=RESEARCHER)
        cli("dataset", "withdraw", 1, "--reason", "consent withdrawn", account=OWNER)
        yield root


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _elements(text):
    parser = _Elements()
    parser.feed(text)
    return parser.tags


def test_html_report_is_self_contained_and_escapes_user_input(home):
    out = home / "report.html"
    cli("audit", "dataset", 1, "--format", "html", "-o", out)
    text = out.read_text()
    tags = _elements(text)
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "link")]  # nothing injected or fetched
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text  # the name, shown as text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    assert ("svg", {"id": "lineage"}) in [(t, {"id": a.get("id")}) for t, a in tags if t == "svg"]
    trail = cli("audit", "dataset", 1, "--no-sync")["trail"]
    rows = [a for t, a in tags if t == "tr" and "data-event" in a]
    assert [a["data-event"] for a in rows] == [r["event"] for r in trail]
    assert "DatasetWithdrawn" in [r["event"] for r in trail]
    assert out.stat().st_mode & 0o777 == 0o600


def test_csv_report_has_one_row_per_event_and_no_formula(home):
    out = home / "trail.csv"
    cli("audit", "dataset", 1, "--format", "csv", "-o", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    trail = cli("audit", "dataset", 1, "--no-sync")["trail"]
    assert [(int(r["block"]), r["event"]) for r in rows] == [(t["block"], t["event"]) for t in trail]
    assert not [r for r in rows if r["detail"][:1] in "=+-@"]  # a purpose shaped as a formula is quoted


def test_model_report_draws_the_dataset_and_flags_the_withdrawal(home):
    out = home / "model.html"
    cli("audit", "model", "#1", "--format", "html", "-o", out)
    tags = _elements(out.read_text())
    nodes = {a["data-id"]: a["class"] for t, a in tags if t == "g" and "data-id" in a}
    assert nodes["dataset:1"] == "node dataset flagged" and nodes["version:1"].startswith("node model")


def _png_variance(path):
    """Variance of the grey levels of a PNG (8-bit RGB/RGBA, as Chromium writes), read with zlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = header[:4]
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    greys = []
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
        greys += [sum(line[x : x + 3]) // 3 for x in range(0, stride, channels * 7)]  # a sample per 7 px
    mean = sum(greys) / len(greys)
    return sum((g - mean) ** 2 for g in greys) / len(greys)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_chromium_renders_the_report(home, tmp_path):
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip(
            "chromium is not installed (make setup installs the Debian package as root; it could not)"
        )
    report = home / "report.html"
    cli("audit", "dataset", 1, "--format", "html", "-o", report)
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    trail = cli("audit", "dataset", 1, "--no-sync")["trail"]
    rendered = [a for t, a in _elements(dom.stdout) if t == "tr" and "data-event" in a]
    assert len(rendered) == len(trail) > 3
    assert 'id="lineage"' in dom.stdout and "alert(1)" in dom.stdout  # the name is there, as text
    assert not [t for t, _ in _elements(dom.stdout) if t in ("script", "img")]
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1200,900", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    assert _png_variance(shot) > 100  # text, table and drawing, not a blank page


def test_an_unwritable_report_path_is_one_error_line(home):
    # under a file, not a folder: nothing can create it
    line = cli("audit", "dataset", 1, "--format", "html", "-o", home / "cohort.csv" / "r.html", ok=False)
    assert line.startswith("Could not open file") and "cohort.csv" in line
    assert "7" in cli("audit", "dataset", "7", ok=False)
