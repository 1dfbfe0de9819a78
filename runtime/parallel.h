// Intra-op parallelism for kernels. Runs on the calling thread's task arena (the session's), in
// blocks whose boundaries depend only on n and grain, so results never depend on thread count.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace axon::runtime {

// A non-owning reference to a callable: unlike std::function it never allocates, so a kernel's
// steady-state run can hand a lambda with any captures to ParallelFor for free. The callable must
// outlive the reference (it always does here: ParallelFor returns before its caller's lambda dies).
template <class Signature> class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f) noexcept  // NOLINT: converts from any callable, like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// Threads a parallel loop here can use: the current task arena's, capped by any
// tbb::global_control limit in force.
int MaxThreads();
// Thread slots of the current task arena (>= MaxThreads()): what per-thread scratch is sized for.
int ArenaSlots();
// This thread's index in the current task arena, in [0, MaxThreads()); -1 outside any arena.
int ThreadIndex();

enum class Schedule {
  kDynamic,  // blocks of `grain` items, balanced by work stealing
  kStatic,   // one contiguous share per thread, the same thread for the same share on every call,
             // so a memory-bound loop over the same data finds its share still in that core's L2
};

// Calls fn(begin, end) over [0, n) in blocks of at least `grain` items; serial when n <= grain
// or when only one thread is available (then without TBB at all, but over the same blocks).
void ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn,
                 Schedule schedule = Schedule::kDynamic);

}  // namespace axon::runtime
