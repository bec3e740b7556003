// perfinject test case: C++98 (no auto, no nullptr, no brace init), built
// from -std=c++98 to -std=c++2b.
//
// EXPECT span "lib::Counter::Counter" 1
// EXPECT span "lib::Counter::bump" 5
// EXPECT span "lib::Counter::get" 1
// EXPECT span "lib::twice" 2
// EXPECT span "main" 1
#include <cstdio>

namespace lib {

class Counter {
public:
	Counter() : n_(0) {}
	void bump() { ++n_; }
	int get() const;

private:
	int n_;
};

int Counter::get() const
{
	return n_;
}

template <class T> T twice(T v)
{
	return v + v;
}

} // namespace lib

int main()
{
	lib::Counter c;
	for (int i = 0; i < 5; i++)
		c.bump();
	std::printf("%d %d %g line=%d\n", c.get(), lib::twice(2), lib::twice(1.5), __LINE__);
	return 0;
}
