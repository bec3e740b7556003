// perfinject test case: C++ with a BOM, CRLF line ends, tabs, no final newline.
//
// EXPECT span "ns::W::twice" 3
// EXPECT span "main" 1
#include <cstdio>

namespace ns {
struct W {
	int twice(int x) const
	{
		return 2 * x;
	}
};
} // namespace ns

int main()
{
	ns::W w;
	std::printf("%d line=%d\n", w.twice(1) + w.twice(2) + w.twice(3), __LINE__);
	return 0;
}