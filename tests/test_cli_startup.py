"""``python -m hotspots --help`` starts without the pipeline; each command's help is whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hotspots import cli

_PROBE = ("import sys; from hotspots import cli\n"
          "try:\n    cli.main({argv!r})\nexcept SystemExit:\n    pass\n"
          "print('LOADED', sorted(m for m in ('pandas', 'geopandas', 'hotspots.pipeline', "
          "'hotspots.patrol') if m in sys.modules))")


def _loaded(argv: list[str]) -> str:
    out = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True,
                         text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def test_top_level_help_imports_no_pipeline():
    assert _loaded(["--help"]) == "LOADED []"


def test_a_command_help_still_shows_its_defaults(capsys):
    with pytest.raises(SystemExit):
        cli.main(["analyse", "--help"])
    out = capsys.readouterr().out
    assert "--permutations" in out and "default 9999" in out and "--emerging" in out


def test_the_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in ("table", "analyse", "check", "measures", "report", "patrol", "pack"):
        assert f"    {name} " in out


def test_analyse_imports_no_board_pack_or_peer_libraries(tmp_path):
    """``analyse`` (issue 18: a sub-second cold process) loads no plotting, PDF or esda stack.

    Its audit line once imported :mod:`hotspots.report` whole (matplotlib, folium's Jinja
    templates, Altair, reportlab: about 0.7 s of a 2 s run).
    """
    # The default permutations (9,999): the demo's wards then make 38 million draws, which
    # once crossed the compiled kernel's threshold (numba loaded, p-values changed).
    probe = ("import sys; from hotspots import cli\n"
             f"code = cli.main(['analyse', '--out', {str(tmp_path)!r}])\n"
             "print('LOADED', code, sorted(m for m in ('matplotlib', 'folium', 'altair', "
             "'reportlab', 'jinja2', 'esda', 'libpysal', 'numba', 'scipy.stats', "
             "'hotspots.maps', 'hotspots.report.build') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED 0 []"
    assert (tmp_path / "ward_analysis.csv").is_file()


def test_the_board_pack_imports_no_folium_or_altair():
    """Issue 18: the board pack draws with matplotlib; the web maps' folium (its Jinja
    templates compile at import) and Altair came in through a few constants and the
    trend table (about 0.5 s of every ``report`` process)."""
    probe = ("import sys; import hotspots.report.build\n"
             "from hotspots.maps import charts, statmaps\n"
             "statmaps.print_classes, statmaps.method_caption, charts.trend_table\n"
             "print('LOADED', sorted(m for m in ('folium', 'altair', 'hotspots.maps.web') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "LOADED []"
