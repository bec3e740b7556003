"""Operators and evaluation."""
import operator

OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def tokens(text):
    for part in text.split():
        yield int(part) if part.isdigit() else part


def apply(op, a, b):
    return OPS[op](a, b)


class Evaluator:
    def __init__(self, text):
        self.items = list(tokens(text))

    def run(self):
        value = self.items[0]
        for i in range(1, len(self.items), 2):
            value = apply(self.items[i], value, self.items[i + 1])
        return value


def evaluate(text):
    return Evaluator(text).run()
