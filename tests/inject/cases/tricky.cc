/*
 * perfinject test case: what a C++ lexer and parser must get right.  The
 * EXPECT lines give the exact calls the span recorder must see after
 * `perfinject tricky.cc`.  C++11 or later.
 *
 * EXPECT span "geo::Point::Point" 3
 * EXPECT span "geo::Point::~Point" 3
 * EXPECT span "geo::Point::norm2" 3
 * EXPECT span "geo::Point::operator==" 1
 * EXPECT span "geo::Point::operator()" 1
 * EXPECT span "geo::Point::operator bool" 1
 * EXPECT span "geo::Point::scaled" 1
 * EXPECT span "geo::operator<<" 1
 * EXPECT span "geo::detail::helper" 1
 * EXPECT span "geo::v2::versioned" 1
 * EXPECT span "geo::Box::Box" 1
 * EXPECT span "geo::Box::area" 1
 * EXPECT span "geo::Stack::push" 3
 * EXPECT span "geo::Stack::size" 1
 * EXPECT span "max_of" 2
 * EXPECT span "trailing" 1
 * EXPECT span "nothrow_fn" 1
 * EXPECT span "thrower_impl" 2
 * EXPECT span "thrower" 2
 * EXPECT span "catcher" 1
 * EXPECT span "try_block" 1
 * EXPECT span "Base::~Base" 1
 * EXPECT span "Base::name" 0
 * EXPECT span "Derived::name" 1
 * EXPECT span "Derived::~Derived" 1
 * EXPECT span "c_linkage" 1
 * EXPECT span "anon_fn" 1
 * EXPECT span "operator\"\"_km" 1
 * EXPECT span "uses_lambda" 1
 * EXPECT span "fact" 6
 * EXPECT span "main" 1
 * EXPECT skip "constexpr_fn"
 */
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace geo {

class Point {
public:
	Point(int x, int y) : x_(x), y_{y} {}
	~Point() { ++destroyed; }
	int norm2() const noexcept { return x_ * x_ + y_ * y_; }
	bool operator==(const Point &o) const;
	int operator()(int k) const { return k * x_; }
	explicit operator bool() const { return x_ || y_; }
	Point scaled(int k) const;
	static int destroyed;

private:
	int x_, y_;
	friend std::string &operator<<(std::string &s, const Point &p);
};

int Point::destroyed = 0;

bool Point::operator==(const Point &o) const
{
	return x_ == o.x_ && y_ == o.y_;
}

Point Point::scaled(int k) const
{
	return Point(x_ * k, y_ * k);
}

std::string &operator<<(std::string &s, const Point &p)
{
	s += std::to_string(p.x_);
	return s;
}

namespace detail {
static int helper(int v) { return v + 1; }
} // namespace detail

inline namespace v2 {
int versioned() { return 2; }
}

struct Box {
	Box(int w, int h) : w_(w), h_(h), s_{"box {"} {}
	int area() const;
	int w_, h_;
	std::string s_;
};

int Box::area() const
{
	return w_ * h_;
}

template <typename T> class Stack {
public:
	void push(const T &v) { items.push_back(v); }
	std::size_t size() const;

private:
	std::vector<T> items;
};

template <typename T> std::size_t Stack<T>::size() const
{
	return items.size();
}

} // namespace geo

template <typename T> T max_of(T a, T b)
{
	return a > b ? a : b;
}

auto trailing(int x) -> decltype(x + 1)
{
	return x + 1;
}

int nothrow_fn() noexcept(true)
{
	return 1'000'000;
}

constexpr int constexpr_fn(int x)
{
	return x * 2;
}

[[noreturn]] static void thrower_impl() { throw std::runtime_error("boom {"); }

static int thrower(bool t)
{
	if (t)
		thrower_impl();
	return 0;
}

static int catcher()
{
	try {
		thrower(true);
	} catch (const std::exception &e) {
		return 1;
	}
	return 0;
}

static int try_block(int x)
try {
	return thrower(x > 0) + 5;
} catch (...) {
	return -1;
}

struct Base {
	virtual ~Base() {}
	virtual const char *name() const { return "base"; }
};

struct Derived final : Base {
	~Derived() override {}
	const char *name() const override { return R"raw(derived { "quoted" })raw"; }
};

extern "C" {
int c_linkage(int x)
{
	return x - 1;
}
}

namespace {
int anon_fn() { return 3; }
}

long double operator""_km(long double v)
{
	return v * 1000;
}

static int uses_lambda(int n)
{
	auto add = [n](int k) { return n + k; };
	return add(1);
}

static const auto file_lambda = [](int v) { return v * 2; };

static unsigned fact(unsigned n)
{
	return n <= 1 ? 1 : n * fact(n - 1);
}

int main()
{
	int s = 0;
	{
		geo::Point a(1, 2), b = a.scaled(2);
		s += a.norm2() + b.norm2() + (a == b) + a(3) + static_cast<bool>(a);
		std::string str;
		str << a;
		s += static_cast<int>(str.size());
	}
	{
		geo::Point c(0, 0);
		s += c.norm2() * 0;
	}
	s += geo::detail::helper(1) + geo::versioned();
	geo::Box box(2, 3);
	s += box.area();
	geo::Stack<int> st;
	st.push(1);
	st.push(2);
	st.push(3);
	s += static_cast<int>(st.size());
	s += max_of(1, 2) + static_cast<int>(max_of(1.5, 0.5));
	s += trailing(1) + nothrow_fn() / 1000000 + constexpr_fn(2);
	s += catcher() + try_block(1);
	{
		Derived d;
		const Base &r = d;
		s += static_cast<int>(std::string(r.name()).size());
	}
	s += c_linkage(2) + anon_fn() + static_cast<int>(1.5_km) + uses_lambda(2) + file_lambda(1);
	s += static_cast<int>(fact(6));
	std::printf("s=%d destroyed=%d line=%d\n", s, geo::Point::destroyed, __LINE__);
	return 0;
}
