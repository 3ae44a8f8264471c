"""A static URL anyone can share: hosted cases, sub-paths, relative URLs only."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.support.viewer import BUILD, finish, new_viewer
from tools.serve import serve_in_thread


@pytest.mark.parametrize("case", ["cases/demo-case.zip", "cases/demo-case/"])
def test_hosted_case_opens_from_the_url(browser: Browser, base_url: str, case: str) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?case={case}")
    viewer.ready()
    viewer.page.wait_for_function("() => Number(document.body.dataset.opens || 0) > 0")
    state = viewer.state()
    assert state["frames"] == 12 and state["series"] == 0
    catalog = viewer.page.evaluate("() => window.lightbox.catalog()")
    assert catalog["series"][0]["description"] == "Teaching case: phantom head"
    assert catalog["report"]["missing"] == []
    finish(context, viewer)


def test_a_case_on_another_origin_is_refused(browser: Browser, base_url: str) -> None:
    context, viewer = new_viewer(browser, f"{base_url}?case=http://127.0.0.2:9/x.zip")
    viewer.ready()
    viewer.page.wait_for_function(
        "() => document.querySelector('#status').textContent.includes('another site')"
    )
    assert viewer.state()["series"] == -1
    finish(context, viewer)  # and no request went there


@pytest.fixture(scope="module")
def sub_path_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same build served under /some/sub/path/, as on a GitHub-Pages-like host."""
    root = tmp_path_factory.mktemp("host")
    target = root / "some" / "sub" / "path"
    target.parent.mkdir(parents=True)
    shutil.copytree(BUILD, target)
    server, url = serve_in_thread(root)
    yield url + "some/sub/path/"
    server.shutdown()


def test_the_build_works_under_a_sub_path(browser: Browser, sub_path_url: str) -> None:
    context, viewer = new_viewer(browser, sub_path_url)
    viewer.ready()
    viewer.control("#demo-button").click()
    viewer.wait_state("s.frames === 24")
    outside = [
        u for u in viewer.watch.requests if u.startswith("http") and "/some/sub/path/" not in u
    ]
    assert outside == []
    finish(context, viewer)
