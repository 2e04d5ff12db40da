"""The task table in the raw package guides (ttdev.guide_tasks): where the block goes, that
regenerating it changes nothing else, and the headings every task needs."""

from pathlib import Path

from ttdev.guide_tasks import BEGIN, END, heading_problems, with_block
from ttdev.tasks import parse_tasks

from .ttdev_fakes import TWO_TASKS_TOML

BLOCK = f"{BEGIN}\n## Your tasks, in order\n\n| # | task |\n|---|---|\n| 1 | ReLU |\n{END}\n"
TASKS = parse_tasks(TWO_TASKS_TOML, "tasks.toml")


def test_the_block_goes_right_after_the_title_and_is_replaced_in_place_later():
    guide = "# tt-nn\n\nModules and layers.\n\n## Modules\n"
    written = with_block(guide, BLOCK)
    assert written == f"# tt-nn\n\n{BLOCK}\nModules and layers.\n\n## Modules\n"
    assert with_block(written, BLOCK) == written
    newer = BLOCK.replace("ReLU", "ReLU, again")
    assert with_block(written, newer) == written.replace(BLOCK, newer)


def test_a_guide_without_a_title_gets_the_block_first_and_no_tasks_means_no_block():
    assert with_block("Some text.\n", BLOCK) == f"{BLOCK}\nSome text.\n"
    assert with_block("# tt-nn\n\nText.\n", "") == "# tt-nn\n\nText.\n"


def test_every_task_needs_one_heading_with_its_number_and_slug():
    good = '# tt-nn\n\n### Task 1 "relu": ReLU\n\n### Task 2 "linear": the layer\n'
    assert heading_problems(Path("g.md"), good, TASKS) == []
    missing = heading_problems(Path("g.md"), '### Task 1 "relu": ReLU\n', TASKS)
    assert len(missing) == 1 and 'task 2 "linear" has no section heading' in missing[0]
    renumbered = '### Task 1 "relu": ReLU\n### Task 3 "linear": the layer\n'
    problems = heading_problems(Path("g.md"), renumbered, TASKS)
    assert any('`Task 3 "linear"` names no task' in p for p in problems)
    twice = good + '## Task 1 "relu": again\n'
    assert any("has 2 headings" in p for p in heading_problems(Path("g.md"), twice, TASKS))
