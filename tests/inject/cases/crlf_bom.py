"""perfinject test case: BOM, CRLF, tabs, no final newline.

EXPECT span "crlf_bom.K.m" 2
EXPECT span "crlf_bom.main" 1
"""


class K:
	def m(self, x):
		return x + 1


def main():
	k = K()
	print(k.m(1) + k.m(2))


main()