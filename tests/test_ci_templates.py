"""The CI templates readiness ships (docs/ci.md): the composite GitHub Action (action.yml) and
the GitLab CI job (ci/gitlab-ci.yml).

Each parses as YAML, uses every input it declares, and its check script, run by bash as the
runner runs it, calls `readiness check` with a command line readiness's own parser accepts
and reads as meant. `readiness` there is a stand-in on PATH that records its arguments and
exits as told: what is tested is the template's shell, not the crawl (tests/test_ci_outputs.py
runs that).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from readiness.cli import build_parser

ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "gitlab-ci.yml"
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}")


def run_check_script(script: str, env: dict[str, str], tmp_path: Path, exit_status: int = 0
                     ) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``script`` run by bash with a recording `readiness` first on PATH; (result, argv)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    argv_file = tmp_path / "argv.json"
    stand_in = bin_dir / "readiness"
    stand_in.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "json.dump(sys.argv[1:], open(os.environ['ARGV_FILE'], 'w'))\n"
        "sys.exit(int(os.environ['EXIT_STATUS']))\n", encoding="utf-8")
    stand_in.chmod(0o755)
    full_env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "ARGV_FILE": str(argv_file),
                "EXIT_STATUS": str(exit_status), **env}
    result = subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                            env=full_env, cwd=tmp_path, timeout=60)
    return result, json.loads(argv_file.read_text(encoding="utf-8"))


def parsed_check(argv: list[str]):
    """``readiness check`` parsed by readiness's own parser (argparse exits on a bad one)."""
    assert argv[0] == "check", argv
    return build_parser().parse_args(argv)


# -- GitHub: action.yml ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def check_step(action: dict) -> dict:
    [step] = [s for s in action["runs"]["steps"] if "readiness check" in s.get("run", "")]
    return step


def test_action_is_a_composite_that_installs_its_own_checkout(action):
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"url", "config", "fail-on", "baseline", "min-pages",
                                     "reports-dir", "python-version"}
    assert action["inputs"]["url"]["required"] is True
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "${{ inputs.python-version }}"
    [install] = [s for s in steps if "pip install" in s.get("run", "")]
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    # Composite run steps must name their shell; nothing but setup-python is another action.
    assert all(s["shell"] == "bash" for s in steps if "run" in s)
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == ["actions/setup-python"]


def test_every_action_input_is_used_by_its_steps(action):
    used = set(EXPRESSION.findall(yaml.safe_dump(action["runs"]["steps"])))
    assert used == set(action["inputs"])
    # Into the script through env only: an input pasted into `run:` could run as shell.
    assert not EXPRESSION.search(check_step(action)["run"])


def action_env(action: dict, inputs: dict[str, str], tmp_path: Path) -> dict[str, str]:
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    env = {key: EXPRESSION.sub(lambda m: values[m[1]], value)
           for key, value in check_step(action)["env"].items()}
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    return {**env, "GITHUB_OUTPUT": str(output), "GITHUB_RUN_ID": "1234",
            "GITHUB_RUN_ATTEMPT": "2"}


def outputs_of(env: dict[str, str]) -> dict[str, str]:
    lines = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_action_check_command_with_every_input(action, tmp_path):
    env = action_env(action, {"url": "https://staging.clinic.example/", "config":
                              ".readiness/site.yaml", "fail-on": "warning",
                              "baseline": ".readiness/baseline.json", "min-pages": "20",
                              "reports-dir": "runs with space"}, tmp_path)
    result, argv = run_check_script(check_step(action)["run"], env, tmp_path, exit_status=1)
    assert result.returncode == 1  # the job fails as readiness did
    args = parsed_check(argv)
    assert (args.url, args.config, args.fail_on, args.baseline, args.min_pages) == (
        "https://staging.clinic.example/", ".readiness/site.yaml", "warning",
        ".readiness/baseline.json", 20)
    assert (args.reports_dir, args.out, args.quiet) == (
        "runs with space", "runs with space/github-1234-2", True)
    assert outputs_of(env) == {"report-dir": "runs with space/github-1234-2", "exit-code": "1"}


def test_action_check_command_with_only_the_url(action, tmp_path):
    env = action_env(action, {"url": "https://www.clinic.example/"}, tmp_path)
    result, argv = run_check_script(check_step(action)["run"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    args = parsed_check(argv)
    assert (args.url, args.config, args.fail_on, args.baseline, args.min_pages) == (
        "https://www.clinic.example/", None, "error", None, None)
    assert outputs_of(env)["exit-code"] == "0"


def test_an_action_input_is_never_run_as_shell(action, tmp_path):
    hostile = 'https://x.example/"; touch pwned; echo "'
    env = action_env(action, {"url": hostile, "config": "$(touch pwned2)"}, tmp_path)
    _result, argv = run_check_script(check_step(action)["run"], env, tmp_path)
    assert parsed_check(argv).url == hostile
    assert parsed_check(argv).config == "$(touch pwned2)"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()


# -- GitLab: ci/gitlab-ci.yml ---------------------------------------------------------------

@pytest.fixture(scope="module")
def gitlab() -> dict:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def test_gitlab_job_reports_junit_and_keeps_the_run(gitlab):
    job = gitlab["readiness"]
    assert job["artifacts"]["reports"]["junit"] == "readiness-report/junit.xml"
    assert job["artifacts"]["when"] == "always"
    assert "readiness-report/" in job["artifacts"]["paths"]
    assert job["before_script"] == ["pip install --quiet $READINESS_PACKAGE"]
    text = yaml.safe_dump(job)
    for variable in gitlab["variables"]:
        assert f"${variable}" in text or f'"${variable}"' in text, variable


def gitlab_env(gitlab: dict, overrides: dict[str, str]) -> dict[str, str]:
    return {**{k: str(v) for k, v in gitlab["variables"].items()}, "CI_PIPELINE_ID": "77",
            "CI_JOB_ID": "901", **overrides}


def test_gitlab_check_command_with_every_variable(gitlab, tmp_path):
    env = gitlab_env(gitlab, {"READINESS_CONFIG": ".readiness/site.yaml",
                              "READINESS_BASELINE": ".readiness/baseline.json",
                              "READINESS_FAIL_ON": "notice"})
    result, argv = run_check_script("\n".join(gitlab["readiness"]["script"]), env, tmp_path,
                                    exit_status=3)
    assert result.returncode == 3
    args = parsed_check(argv)
    assert (args.url, args.config, args.fail_on, args.baseline, args.min_pages, args.out) == (
        "https://staging.clinic.example/", ".readiness/site.yaml", "notice",
        ".readiness/baseline.json", 20, "reports/gitlab-77-901")
    # after_script copies that run folder, the one the junit report is read from
    assert any("reports/gitlab-$CI_PIPELINE_ID-$CI_JOB_ID/." in line
               for line in gitlab["readiness"]["after_script"])


def test_gitlab_check_command_with_the_defaults(gitlab, tmp_path):
    env = gitlab_env(gitlab, {"READINESS_MIN_PAGES": ""})
    _result, argv = run_check_script("\n".join(gitlab["readiness"]["script"]), env, tmp_path)
    args = parsed_check(argv)
    assert (args.config, args.fail_on, args.baseline, args.min_pages) == (
        None, "error", None, None)


# -- docs/ci.md -----------------------------------------------------------------------------

def docs_yaml_blocks() -> list[dict]:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_docs_gitlab_job_is_the_shipped_template(gitlab):
    assert gitlab in docs_yaml_blocks()


def test_docs_github_workflow_uses_the_action_with_its_inputs(action):
    [workflow] = [block for block in docs_yaml_blocks() if "jobs" in block]
    steps = workflow["jobs"]["readiness"]["steps"]
    [check] = [step for step in steps if step.get("uses") == "./tools/readiness"]
    assert set(check["with"]) <= set(action["inputs"])
    assert "url" in check["with"]
    upload = next(step for step in steps if step.get("uses", "").startswith(
        "actions/upload-artifact"))
    assert f"steps.{check['id']}.outputs.report-dir" in upload["with"]["path"]
    assert set(action["outputs"]) >= {"report-dir"}
