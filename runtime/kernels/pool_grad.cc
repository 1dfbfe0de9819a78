#include "runtime/kernels/pool_grad.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/parallel.h"

namespace axon::kernels {
namespace {

int64_t PlaneGrain(int64_t floats_per_plane) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, floats_per_plane)); }

// Calls fn(tap offset in the plane) for each tap of output position (od, oh, ow) inside the image,
// in tap order.
template <class Fn>
void ForEachTap(const WindowGeometry& g, int64_t od, int64_t oh, int64_t ow, const Fn& fn) {
  for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    const int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
    if (id < 0 || id >= g.in[0]) continue;
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      const int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
      if (ih < 0 || ih >= g.in[1]) continue;
      for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
        const int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dilation[2];
        if (iw < 0 || iw >= g.in[2]) continue;
        fn((id * g.in[1] + ih) * g.in[2] + iw);
      }
    }
  }
}

template <class Fn>
void ForEachPlane(const WindowGeometry& g, int64_t planes, float* dx, const Fn& fn) {
  const int64_t in_vol = g.InVolume(), out_vol = g.OutVolume();
  runtime::ParallelFor(planes, PlaneGrain(in_vol + out_vol), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      float* plane = dx + p * in_vol;
      std::fill(plane, plane + in_vol, 0.0f);
      int64_t o = p * out_vol;
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
          for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) fn(p, o, od, oh, ow, plane);
    }
  });
}

}  // namespace

void MaxPoolGradF32(const WindowGeometry& g, int64_t planes, const float* x, const float* dy, float* dx) {
  const int64_t in_vol = g.InVolume();
  ForEachPlane(g, planes, dx, [&](int64_t p, int64_t o, int64_t od, int64_t oh, int64_t ow, float* plane) {
    const float* xp = x + p * in_vol;
    int64_t best = -1;
    ForEachTap(g, od, oh, ow, [&](int64_t t) {
      if (best >= 0 && std::isnan(xp[best])) return;
      if (best < 0 || xp[t] > xp[best] || std::isnan(xp[t])) best = t;
    });
    if (best >= 0) plane[best] += dy[o];
  });
}

void AveragePoolGradF32(const PoolLayout& l, const float* dy, float* dx) {
  ForEachPlane(l.window, l.planes, dx, [&](int64_t, int64_t o, int64_t od, int64_t oh, int64_t ow, float* plane) {
    const float share = dy[o] / (l.count_d[od] * l.count_h[oh] * l.count_w[ow]);
    ForEachTap(l.window, od, oh, ow, [&](int64_t t) { plane[t] += share; });
  });
}

}  // namespace axon::kernels
