#include "netbench/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

namespace netbench {
namespace {

static_assert(!std::is_copy_constructible_v<Fd>);
static_assert(!std::is_copy_assignable_v<Fd>);
static_assert(std::is_nothrow_move_constructible_v<Fd>);
static_assert(std::is_nothrow_move_assignable_v<Fd>);
static_assert(std::is_nothrow_destructible_v<Fd>);

/// True if `fd` names an open descriptor of this process.
bool is_open(int fd) {
  errno = 0;
  if (::fcntl(fd, F_GETFD) != -1) {
    return true;
  }
  EXPECT_EQ(errno, EBADF) << "fd " << fd;
  return false;
}

/// A pipe whose ends the test closes itself unless an Fd takes them.
struct Pipe {
  std::array<int, 2> fds{-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fds.data()), 0); }
  [[nodiscard]] int read_end() const { return fds[0]; }
  [[nodiscard]] int write_end() const { return fds[1]; }
};

TEST(FdTest, DefaultIsEmpty) {
  const Fd fd;
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(static_cast<bool>(fd));
}

TEST(FdTest, ExplicitMinusOneIsEmpty) {
  const Fd fd(-1);
  EXPECT_FALSE(fd.valid());
}

TEST(FdTest, ClosesOnDestruction) {
  const Pipe p;
  {
    const Fd r(p.read_end());
    const Fd w(p.write_end());
    EXPECT_TRUE(r.valid());
    EXPECT_TRUE(static_cast<bool>(w));
    EXPECT_EQ(r.get(), p.read_end());
    EXPECT_TRUE(is_open(p.read_end()));
  }
  EXPECT_FALSE(is_open(p.read_end()));
  EXPECT_FALSE(is_open(p.write_end()));
}

TEST(FdTest, MoveConstructionTransfersOwnership) {
  const Pipe p;
  const Fd w(p.write_end());
  {
    Fd a(p.read_end());
    const Fd b(std::move(a));
    EXPECT_EQ(a.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), p.read_end());
    EXPECT_TRUE(is_open(p.read_end()));
  }
  EXPECT_FALSE(is_open(p.read_end()));
}

TEST(FdTest, MoveAssignmentClosesTheOldDescriptorAndTakesTheNewOne) {
  const Pipe p;
  Fd target(p.read_end());
  Fd source(p.write_end());
  target = std::move(source);
  EXPECT_FALSE(is_open(p.read_end()));
  EXPECT_EQ(target.get(), p.write_end());
  EXPECT_FALSE(source.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(is_open(p.write_end()));
}

TEST(FdTest, MoveAssignmentFromEmptyClosesAndEmpties) {
  const Pipe p;
  const Fd w(p.write_end());
  Fd target(p.read_end());
  target = Fd();
  EXPECT_FALSE(target.valid());
  EXPECT_FALSE(is_open(p.read_end()));
}

TEST(FdTest, SelfMoveAssignmentKeepsTheDescriptor) {
  const Pipe p;
  const Fd w(p.write_end());
  Fd fd(p.read_end());
  Fd& alias = fd;  // through a reference, so the compiler does not flag the self-move
  fd = std::move(alias);
  EXPECT_EQ(fd.get(), p.read_end());
  EXPECT_TRUE(is_open(p.read_end()));
}

TEST(FdTest, ReleaseGivesUpOwnershipWithoutClosing) {
  const Pipe p;
  const Fd w(p.write_end());
  int raw = -1;
  {
    Fd fd(p.read_end());
    raw = fd.release();
    EXPECT_FALSE(fd.valid());
    EXPECT_EQ(fd.release(), -1);  // nothing left to release
  }
  EXPECT_EQ(raw, p.read_end());
  EXPECT_TRUE(is_open(raw));
  EXPECT_EQ(::close(raw), 0);
}

TEST(FdTest, ResetClosesTheOldDescriptorAndTakesTheNewOne) {
  const Pipe p;
  Fd fd(p.read_end());
  fd.reset(p.write_end());
  EXPECT_FALSE(is_open(p.read_end()));
  EXPECT_EQ(fd.get(), p.write_end());
  EXPECT_TRUE(is_open(p.write_end()));
  fd.reset();
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(is_open(p.write_end()));
}

TEST(FdTest, ResetToTheSameDescriptorDoesNotCloseIt) {
  const Pipe p;
  const Fd w(p.write_end());
  Fd fd(p.read_end());
  fd.reset(p.read_end());
  EXPECT_EQ(fd.get(), p.read_end());
  EXPECT_TRUE(is_open(p.read_end()));
}

TEST(FdTest, OwnedDescriptorIsUsable) {
  const Pipe p;
  const Fd r(p.read_end());
  const Fd w(p.write_end());
  const char out = 'x';
  ASSERT_EQ(::write(w.get(), &out, 1), 1);
  char in = 0;
  ASSERT_EQ(::read(r.get(), &in, 1), 1);
  EXPECT_EQ(in, 'x');
}

}  // namespace
}  // namespace netbench
