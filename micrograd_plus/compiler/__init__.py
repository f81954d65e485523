"""The compiler behind ``micrograd_plus.compile``: trace once, replay as NumPy.

``micrograd_plus.compile`` is the function; this package holds how it works,
one module per step, in the order a call goes through them:

- ``function.py``: ``compile`` and ``CompiledFunction`` — flatten the arguments,
  trace ``fn`` on Values (guarding every comparison), cache one tape per
  argument structure, replay it;
- ``graph.py``: the traced graph as a small typed IR (``CompiledFunction.ir()``
  prints it, as ``jax.make_jaxpr`` prints a jaxpr);
- ``tape.py``: the IR grouped into a plan of steps, by depth and op;
- ``vectorised.py``: the steps that run as one NumPy call per group;
- ``floats.py``: the steps too narrow to pay for NumPy, run on floats;
- ``step.py``: ``compile_step``, a whole training step (forward, backward and
  the optimizer) with the parameters held in one array between calls.

Every derivative rule comes from the table in ``micrograd_plus/ops.py``; no
module here names an op.
"""

from .function import CompiledFunction, CompiledResult, GuardError, TracedInt, compile
from .step import CompiledStep, compile_step

__all__ = [
    "CompiledFunction",
    "CompiledResult",
    "CompiledStep",
    "GuardError",
    "TracedInt",
    "compile",
    "compile_step",
]
