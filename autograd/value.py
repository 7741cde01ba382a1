"""``Value``: a scalar reverse-mode engine in the style of micrograd, built for speed.

    from autograd import Value
    a, b = Value(2.0), Value(-3.0)
    c = (a * b + a).tanh()
    c.backward()
    a.grad, b.grad          # dc/da, dc/db

Every op has at most two inputs. It computes its local derivatives beside its forward
value and stores them on the output node: children in the slots ``_a``/``_b`` and
d(out)/d(child) in ``_da``/``_db``. Backward is then one generic loop,
``child.grad += local * out.grad``, with no closure, tuple or dispatch per node, and a
node costs one object (which also keeps Python's cyclic GC, triggered by allocation
counts, out of the way).

The traversal is Kahn's algorithm: first count, for every interior node reachable from
the root, the edges that lead into it; then process a node once all of those edges
have delivered their share of its gradient. The counts live in a slot on the node
(``_n``, zero whenever no backward is running), so the traversal touches no dict. It
is iterative: a chain of 10**6 nodes works. (The Tensor engine, ``autograd/graph.py``,
orders its nodes differently: by creation number, newest first, with a heap.)

Gradients accumulate into leaves, as ``Tensor.grad`` does; each ``backward()`` first
resets the gradients of the interior nodes it reaches, so calling it twice doubles the
leaves' gradients and leaves the interior ones exact. A node holds only its children,
so the graph has no reference cycles and is freed by reference counting.
"""

from __future__ import annotations

import math
from numbers import Real

__all__ = ["Value"]

_new = object.__new__
_exp = math.exp
_log = math.log
_tanh = math.tanh


def _const(other):
    """``other`` as a float for a Value-with-number op, or None if it is no real number."""
    t = type(other)
    if t is float or t is int or isinstance(other, Real):
        return float(other)
    return None


class Value:
    """A scalar that records the ops applied to it.

    ``data`` (float) and ``grad`` (float; d(root)/d(self) after ``root.backward()``);
    ``_prev`` / ``children``: the Values it was computed from; ``_op``: the op's name;
    ``label``: an optional name for display.
    """

    # _a, _b: children (None when absent); _da, _db: d(self)/d(child);
    # _n: pending edge count during backward (0 otherwise)
    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_n", "_op", "_label")

    def __init__(self, data, label: str = ""):
        t = type(data)
        if t is float or t is int:
            pass
        elif t is Value:
            data = data.data
        elif not isinstance(data, Real):
            raise TypeError(
                f"Value(): expected a real number (int or float), got {type(data).__name__}"
            )
        self.data = float(data)
        self.grad = 0.0
        self._a = self._b = None
        self._n = 0
        self._op = ""
        self._label = label

    # --- binary ops: a Value with a Value, or with a real number (Python or NumPy) ------
    # d(a+b)/da = 1, d(a+b)/db = 1
    def __add__(self, other):
        out = _new(Value)
        if type(other) is Value:
            out.data = self.data + other.data
            out._b = other
            out._db = 1.0
        else:
            c = other if type(other) is float else _const(other)
            if c is None:
                return NotImplemented
            out.data = self.data + c
            out._b = None
        out._a = self
        out._da = 1.0
        out.grad = 0.0
        out._n = 0
        out._op = "+"
        return out

    __radd__ = __add__

    # d(a*b)/da = b, d(a*b)/db = a
    def __mul__(self, other):
        out = _new(Value)
        a = self.data
        if type(other) is Value:
            b = other.data
            out._b = other
            out._db = a
        else:
            b = other if type(other) is float else _const(other)
            if b is None:
                return NotImplemented
            out._b = None
        out.data = a * b
        out._a = self
        out._da = b
        out.grad = 0.0
        out._n = 0
        out._op = "*"
        return out

    __rmul__ = __mul__

    # d(a-b)/da = 1, d(a-b)/db = -1
    def __sub__(self, other):
        out = _new(Value)
        if type(other) is Value:
            out.data = self.data - other.data
            out._b = other
            out._db = -1.0
        else:
            c = other if type(other) is float else _const(other)
            if c is None:
                return NotImplemented
            out.data = self.data - c
            out._b = None
        out._a = self
        out._da = 1.0
        out.grad = 0.0
        out._n = 0
        out._op = "-"
        return out

    def __rsub__(self, other):  # other - self, other a number
        c = other if type(other) is float else _const(other)
        if c is None:
            return NotImplemented
        return _unary(self, c - self.data, -1.0, "-")

    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
    def __truediv__(self, other):
        a = self.data
        if type(other) is Value:
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"Value.__truediv__: division of {a} by a Value of 0")
            inv = 1.0 / b
            out = _unary(self, a * inv, inv, "/")
            out._b = other
            out._db = -a * inv * inv
            return out
        b = other if type(other) is float else _const(other)
        if b is None:
            return NotImplemented
        if b == 0.0:
            raise ZeroDivisionError(f"Value.__truediv__: division of {a} by the number 0")
        return _unary(self, a / b, 1.0 / b, "/")

    # d(c/b)/db = -c/b^2
    def __rtruediv__(self, other):  # other / self, other a number
        c = other if type(other) is float else _const(other)
        if c is None:
            return NotImplemented
        b = self.data
        if b == 0.0:
            raise ZeroDivisionError(f"Value.__rtruediv__: division of {c} by a Value of 0")
        return _unary(self, c / b, -c / (b * b), "/")

    # d(a**p)/da = p a^(p-1); with a Value exponent, d(a**p)/dp = a**p log a (a > 0)
    def __pow__(self, other):
        a = self.data
        if type(other) is Value:
            p = other.data
            if a <= 0.0:
                raise ValueError(
                    f"Value.__pow__: a Value exponent needs a positive base, got base {a}"
                )
            y = a**p
            out = _unary(self, y, p * a ** (p - 1.0), "**")
            out._b = other
            out._db = y * _log(a)
            return out
        p = other if type(other) is float else _const(other)
        if p is None:
            return NotImplemented
        try:
            y = a**p
            d = p * a ** (p - 1.0) if p != 0.0 else 0.0
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"Value.__pow__: 0.0 ** {p} is undefined (negative exponent)"
            ) from None
        if type(y) is complex:
            raise ValueError(f"Value.__pow__: {a} ** {p} is not a real number")
        return _unary(self, y, d, "**")

    # d(c**p)/dp = c**p log c (c > 0)
    def __rpow__(self, other):  # other ** self, other a number
        c = other if type(other) is float else _const(other)
        if c is None:
            return NotImplemented
        if c <= 0.0:
            raise ValueError(f"Value.__rpow__: {c} ** Value needs a positive base")
        y = c**self.data
        return _unary(self, y, y * _log(c), "**")

    # --- unary ops ----------------------------------------------------------------------
    def __neg__(self):  # d(-a)/da = -1
        return _unary(self, -self.data, -1.0, "neg")

    def __pos__(self):
        return self

    def relu(self) -> Value:
        """max(self, 0); d/da = 1 for a > 0, else 0 (0 at the kink, as PyTorch)."""
        a = self.data
        out = _new(Value)
        if a > 0.0:
            out.data = a
            out._da = 1.0
        else:
            out.data = 0.0
            out._da = 0.0
        out._a = self
        out._b = None
        out.grad = 0.0
        out._n = 0
        out._op = "relu"
        return out

    def tanh(self) -> Value:  # d tanh(a)/da = 1 - tanh(a)^2
        t = _tanh(self.data)
        return _unary(self, t, 1.0 - t * t, "tanh")

    def exp(self) -> Value:  # d e^a/da = e^a
        try:
            e = _exp(self.data)
        except OverflowError:
            raise OverflowError(f"Value.exp: exp({self.data}) overflows a float") from None
        return _unary(self, e, e, "exp")

    def log(self) -> Value:  # d log(a)/da = 1/a
        a = self.data
        if a <= 0.0:
            raise ValueError(f"Value.log: expected a positive value, got {a}")
        return _unary(self, _log(a), 1.0 / a, "log")

    def sigmoid(self) -> Value:  # d s(a)/da = s(a) (1 - s(a))
        a = self.data
        if a >= 0.0:  # two branches, so exp never overflows
            s = 1.0 / (1.0 + _exp(-a))
        else:
            e = _exp(a)
            s = e / (1.0 + e)
        return _unary(self, s, s * (1.0 - s), "sigmoid")

    # --- backward -----------------------------------------------------------------------
    def backward(self, gradient: float = 1.0) -> None:
        """Accumulate ``gradient`` * d(self)/d(leaf) into every leaf's ``grad``.

        Interior nodes' ``grad`` are reset first and hold d(self)/d(node) afterwards.
        """
        if self._a is None:  # a leaf: d(self)/d(self) = 1
            self.grad += float(gradient)
            return
        try:
            _backward(self, float(gradient))
        except BaseException:
            _reset_counts(self)  # interrupted: leave the graph usable
            raise

    def zero_grad(self) -> None:
        self.grad = 0.0

    # --- graph inspection and display ---------------------------------------------------
    @property
    def _prev(self) -> tuple:
        """The Values this one was computed from (empty for a leaf)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        return (a,) if b is None else (a, b)

    children = _prev

    @property
    def _local(self) -> tuple:
        """d(self)/d(child) for each child in ``_prev``."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def label(self) -> str:
        return getattr(self, "_label", "")

    @label.setter
    def label(self, value: str) -> None:
        self._label = value

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = self.label
        return (f"Value(data={self.data}, grad={self.grad}"
                + (f", label={label!r})" if label else ")"))


def _unary(child: Value, data: float, local: float, op: str) -> Value:
    """A new node ``data`` with one child and d(node)/d(child) = ``local``."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = child
    out._b = None
    out._da = local
    out._n = 0
    out._op = op
    return out


def _backward(root: Value, gradient: float) -> None:
    # pass 1: count the edges into every interior node reachable from root; reset grads
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        c = v._a
        if c._a is not None:
            n = c._n
            if n == 0:
                c.grad = 0.0
                push(c)
            c._n = n + 1
        c = v._b
        if c is not None and c._a is not None:
            n = c._n
            if n == 0:
                c.grad = 0.0
                push(c)
            c._n = n + 1
    # pass 2: a node is ready once every edge into it has delivered its gradient
    root.grad = gradient
    ready = [root]
    pop, push = ready.pop, ready.append
    while ready:
        v = pop()
        g = v.grad
        c = v._a
        c.grad += v._da * g
        if c._a is not None:
            n = c._n - 1
            c._n = n
            if n == 0:
                push(c)
        c = v._b
        if c is not None:
            c.grad += v._db * g
            if c._a is not None:
                n = c._n - 1
                c._n = n
                if n == 0:
                    push(c)


def _reset_counts(root: Value) -> None:
    """Zero the pending counts of every node reachable from ``root``."""
    stack = [root]
    seen = {id(root)}
    while stack:
        v = stack.pop()
        v._n = 0
        for c in (v._a, v._b):
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
