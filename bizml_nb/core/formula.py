"""Safe arithmetic over logged quantities, for ``formula`` links.

An expression is parsed with :mod:`ast` and checked against a whitelist:
numbers, names of logged quantities, ``+ - * / **``, unary minus and plus, and
the functions ``min``, ``max``, ``log``, ``exp``, ``sqrt``, ``abs``. Anything else
(attributes, subscripts, other calls, lambdas, comprehensions, dunder names) is
refused. The tree is evaluated by walking it; user text is never passed to
``eval``.

>>> f = Formula.parse("quality_plays / recommendations_shown")
>>> f.names
('quality_plays', 'recommendations_shown')
>>> f.evaluate({"quality_plays": 112, "recommendations_shown": 1000})
0.112
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.core.errors import RegistryError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "log": math.log,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "abs": abs,
}
_ARITY: dict[str, tuple[int, int | None]] = {  # (fewest, most) arguments; None: no limit
    "min": (2, None),
    "max": (2, None),
    "log": (1, 2),
    "exp": (1, 1),
    "sqrt": (1, 1),
    "abs": (1, 1),
}
_MAX_LENGTH = 500


@dataclass(frozen=True)
class Formula:
    """A checked arithmetic expression over logged quantities."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Formula:
        """Parse and check ``text``; RegistryError naming the first thing not allowed."""
        if not isinstance(text, str) or not text.strip():
            raise RegistryError("a formula needs an expression, e.g. 'plays / shown'")
        if len(text) > _MAX_LENGTH:
            raise RegistryError(f"the formula is longer than {_MAX_LENGTH} characters")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise RegistryError(f"formula {text!r} is not an expression: {exc.msg}") from None
        names: list[str] = []
        called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):
            _check(node, text, names, called)
        return cls(text.strip(), tree, tuple(dict.fromkeys(names)))

    def evaluate(self, values: Mapping[str, float]) -> float:
        """The value of the formula for ``values``; RegistryError if a name is missing."""
        missing = [name for name in self.names if name not in values]
        if missing:
            raise RegistryError(
                f"formula {self.text!r} needs {', '.join(missing)}, which the run did not log"
            )
        try:
            result = _evaluate(self.tree.body, values)
        except (ArithmeticError, ValueError) as exc:
            raise RegistryError(f"formula {self.text!r} cannot be computed: {exc}") from None
        if not math.isfinite(result):
            raise RegistryError(f"formula {self.text!r} gives {result} for these values")
        return result


def _check(node: ast.AST, text: str, names: list[str], called: set[int]) -> None:
    allowed_context = (ast.Expression, ast.Load, ast.operator, ast.unaryop)
    if isinstance(node, allowed_context):
        if isinstance(node, ast.operator) and type(node) not in _BINARY:
            raise RegistryError(f"formula {text!r}: the operator {_symbol(node)} is not allowed")
        if isinstance(node, ast.unaryop) and type(node) not in _UNARY:
            raise RegistryError(f"formula {text!r}: the operator {_symbol(node)} is not allowed")
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise RegistryError(f"formula {text!r}: only numbers are allowed as constants")
        return
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise RegistryError(f"formula {text!r}: the name {node.id!r} is not allowed")
        if node.id not in FUNCTIONS:
            names.append(node.id)
        elif id(node) not in called:
            raise RegistryError(
                f"formula {text!r}: {node.id} is a function; call it, e.g. {node.id}(x)"
            )
        return
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return
    if isinstance(node, ast.Call):
        _check_call(node, text)
        return
    raise RegistryError(
        f"formula {text!r}: {type(node).__name__.lower()} is not allowed; use numbers, logged "
        f"names, + - * / ** and {', '.join(FUNCTIONS)}"
    )


def _check_call(node: ast.Call, text: str) -> None:
    """A call of a whitelisted function with plain arguments, as many as it takes."""
    if (
        not isinstance(node.func, ast.Name)
        or node.func.id not in FUNCTIONS
        or node.keywords
        or not node.args
        or any(isinstance(a, ast.Starred) for a in node.args)
    ):
        raise RegistryError(
            f"formula {text!r}: only the functions {', '.join(FUNCTIONS)} may be called, "
            "with plain arguments"
        )
    fewest, most = _ARITY[node.func.id]
    if len(node.args) < fewest or (most is not None and len(node.args) > most):
        wanted = (
            f"{fewest} or more"
            if most is None
            else " or ".join(str(k) for k in range(fewest, most + 1))
        )
        raise RegistryError(
            f"formula {text!r}: {node.func.id}() takes {wanted} "
            f"argument{'' if wanted == '1' else 's'}, not {len(node.args)}"
        )


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values[node.id])
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if isinstance(node.op, ast.Pow) and abs(right) > 1000:
            raise ValueError("exponent too large")
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):  # a negative number to a fractional power
            raise ValueError(f"{left:g} ** {right:g} is not a real number")
        return float(result)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_evaluate(arg, values) for arg in node.args]
        return float(FUNCTIONS[node.func.id](*args))
    raise ValueError(f"unexpected {type(node).__name__}")  # _check refused it already


def _symbol(node: ast.AST) -> str:
    return {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
    }.get(type(node), type(node).__name__)
