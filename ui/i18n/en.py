"""The app's navigation and main labels in English (the reference: every other language has these keys)."""

STRINGS = {
    # navigation
    "nav.build": "Build",
    "nav.data": "Data",
    "nav.train": "Train",
    "nav.visualize": "Visualize",
    "viz.snapshots": "Training snapshots",
    "viz.follow": "Follow one sample",
    "nav.export": "Export",
    "nav.templates": "Templates",
    "nav.lessons": "Lessons",
    "nav.check": "Check a design",
    "nav.layers": "Layer catalogue",
    # the Lessons page
    "lessons.title": "Lessons",
    "lessons.caption": "Each lesson: what to look at and why, its designs, an exercise, and a check that trains your "
    "design and judges it. {done} of {total} passed in this workspace.",
    "lessons.pick": "Lesson",
    "lessons.passed": "passed",
    "lessons.open": "Open {title}",
    "lessons.open_help": "{role}: a copy opens on the Build page",
    "lessons.role_start": "start here",
    "lessons.role_solution": "the solution",
    "lessons.role_compare": "compare",
    "lessons.exercise": "Exercise",
    "lessons.where": "Where to look, after a run of your design: {views}.",
    "lessons.judges": "The check judges the design open in this tab: **{name}** ({id}), trained with the lesson's "
    "settings ({settings}).",
    "lessons.check": "Check my design",
    "lessons.checking": "Training and judging your design… ({seconds:.0f} s)",
    "lessons.checking_run": "run {run}: epoch {epoch} of {epochs} · {status}",
    "lessons.verdict_passed": "**Passed** in {seconds:.1f} s",
    "lessons.verdict_failed": "**Not yet** ({seconds:.1f} s)",
    "lessons.verdict_error": "**Not checked**: {error}",
    "lessons.hint": "**Hint:**",
    "lessons.learned": "What your network learned (the check's run)",
    "lessons.share": "Share this lesson with your design",
    "lessons.share_caption": "Anyone who opens this link gets this lesson and a copy of your design in their own "
    "workspace ({length:,} characters; links hold up to 8,000).",
}
