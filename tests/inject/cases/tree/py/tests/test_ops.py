import unittest

from calcpy import evaluate


class TestOps(unittest.TestCase):
    def test_add(self):
        self.assertEqual(evaluate("1 + 2"), 3)

    def test_chain(self):
        self.assertEqual(evaluate("10 - 4 - 3"), 3)

    def test_single(self):
        self.assertEqual(evaluate("7"), 7)


if __name__ == "__main__":
    unittest.main()
