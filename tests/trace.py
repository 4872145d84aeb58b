"""Capture every node's value in a generated model's forward (the locals of its generated frame)."""

import sys


def forward_locals(model, *inputs):
    """Run model(*inputs) and return the generated forward's locals at return: node identifier -> value."""
    captured = {}

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith("<layerloom") and frame.f_code.co_name == "forward":

            def local(frame, event, arg):
                if event == "return":
                    captured.update(frame.f_locals)
                return local

            return local
        return None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        model(*inputs)
    finally:
        sys.settrace(old)
    return captured
