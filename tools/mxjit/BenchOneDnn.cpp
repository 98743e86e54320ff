// oneDNN bf16 matmul per group for `mxjit bench` (see BenchOneDnn.h). oneDNN 2.x API: matmul::desc ->
// primitive_desc -> primitive; memory objects wrap the caller's buffers, built once per run.
#include "BenchOneDnn.h"

#ifdef MXJIT_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <fmt/format.h>

#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>

namespace mxjit::cli {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

struct Context {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  // One primitive per distinct (m, k, n, src transposed, wei transposed, prepacked).
  struct Primitive {
    dnnl::matmul::primitive_desc pd;
    dnnl::matmul primitive;
  };
  std::map<std::tuple<int64_t, int64_t, int64_t, bool, bool, bool>, Primitive> primitives;
};

Context& context() {
  static Context c;
  return c;
}

memory::desc plainDesc(int64_t rows, int64_t cols, bool transposed) {
  return memory::desc({rows, cols}, memory::data_type::bf16, transposed ? Tag::ba : Tag::ab);
}

// What the returned call needs: the primitives, the memory objects, and the packed weights they own.
struct Prepared {
  struct Step {
    dnnl::matmul primitive;
    std::unordered_map<int, memory> args;
  };
  std::vector<Step> steps;
};

}  // namespace

bool oneDnnAvailable() { return true; }

std::string oneDnnVersion() {
  const dnnl_version_t* v = dnnl::version();
  return fmt::format("{}.{}.{} ({})", v->major, v->minor, v->patch,
                     DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP ? "omp" : "non-omp threading");
}

DnnRun oneDnnGroupedGemm(const std::vector<DnnGemm>& gemms, bool prepacked) {
  DnnRun run;
  try {
    Context& c = context();
    auto prepared = std::make_shared<Prepared>();
    std::set<std::string> impls;
    for (const DnnGemm& g : gemms) {
      if (g.m == 0 || g.k == 0 || g.n == 0) continue;  // an empty group (its wgrad output stays as it is)
      const auto key = std::make_tuple(g.m, g.k, g.n, g.srcTransposed, g.weiTransposed, prepacked);
      auto it = c.primitives.find(key);
      if (it == c.primitives.end()) {
        const memory::desc wei = prepacked ? memory::desc({g.k, g.n}, memory::data_type::bf16, Tag::any)
                                           : plainDesc(g.k, g.n, g.weiTransposed);
        const dnnl::matmul::desc desc(plainDesc(g.m, g.k, g.srcTransposed), wei, plainDesc(g.m, g.n, false));
        const dnnl::matmul::primitive_desc pd(desc, c.engine);
        it = c.primitives.emplace(key, Context::Primitive{pd, dnnl::matmul(pd)}).first;
      }
      const dnnl::matmul::primitive_desc& pd = it->second.pd;
      impls.insert(pd.impl_info_str());
      memory src(plainDesc(g.m, g.k, g.srcTransposed), c.engine, const_cast<uint16_t*>(g.src));
      memory weiPlain(plainDesc(g.k, g.n, g.weiTransposed), c.engine, const_cast<uint16_t*>(g.wei));
      memory dst(plainDesc(g.m, g.n, false), c.engine, g.dst);
      memory wei = weiPlain;
      if (prepacked && pd.weights_desc() != weiPlain.get_desc()) {
        wei = memory(pd.weights_desc(), c.engine);  // owned by oneDNN, kept alive by the step's args
        dnnl::reorder(weiPlain, wei).execute(c.stream, weiPlain, wei);
        c.stream.wait();
      }
      prepared->steps.push_back({it->second.primitive, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}}});
    }
    for (const std::string& s : impls) run.impl += (run.impl.empty() ? "" : ", ") + s;
    run.call = [prepared] {
      dnnl::stream& stream = context().stream;
      for (Prepared::Step& s : prepared->steps) s.primitive.execute(stream, s.args);
      stream.wait();
    };
  } catch (const dnnl::error& e) {
    run.error = fmt::format("oneDNN: {} (status {})", e.what(), int(e.status));
    run.call = nullptr;
  }
  return run;
}

}  // namespace mxjit::cli

#else  // no oneDNN

namespace mxjit::cli {

bool oneDnnAvailable() { return false; }
std::string oneDnnVersion() { return "not built (oneDNN not found at configure time; tools/install-deps.sh installs libdnnl-dev)"; }
DnnRun oneDnnGroupedGemm(const std::vector<DnnGemm>&, bool) {
  DnnRun run;
  run.error = "oneDNN not built in";
  return run;
}

}  // namespace mxjit::cli

#endif
