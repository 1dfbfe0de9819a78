// Highway 1.0.3 has no DispatchedTarget(): each target's copy of TargetNameImpl reports its own
// HWY_TARGET, so calling it through the same dispatch table mechanism as the kernels tells which
// copy the kernels run.

#include "runtime/kernels/target.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/target.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace axon::kernels::HWY_NAMESPACE {
namespace {

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace
}  // namespace axon::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace axon::kernels {

HWY_EXPORT(TargetNameImpl);

const char* DispatchedTargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

std::vector<std::string> CompiledTargetNames() {
  std::vector<std::string> names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) names.emplace_back(hwy::TargetName(target));
  return names;
}

}  // namespace axon::kernels
#endif  // HWY_ONCE
