#!/usr/bin/env bash
# Build llama-cpp-python once per machine with safe CPU flags, keep the wheel in a wheelhouse keyed
# by those flags, and install it into the given Python. pip's own wheel cache ignores CMAKE_ARGS,
# so it cannot be trusted to tell an AVX2 build from an AVX512 one.
set -euo pipefail
PY=${1:-.venv/bin/python}
VERSION=${LLAMA_CPP_PYTHON_VERSION:-0.3.36}
WHEELHOUSE=${CLOS_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/clos/wheelhouse}

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
onoff() { if has "$1"; then echo ON; else echo OFF; fi; }

# GGML_NATIVE=ON emits AMX instructions on these hosts and dies with SIGILL: never use it.
args="-DGGML_NATIVE=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
args+=" -DGGML_AVX=$(onoff avx) -DGGML_AVX2=$(onoff avx2) -DGGML_FMA=$(onoff fma)"
args+=" -DGGML_F16C=$(onoff f16c) -DGGML_BMI2=$(onoff bmi2)"
args+=" -DGGML_AVX512=$(onoff avx512f) -DGGML_AVX512_VNNI=$(onoff avx512_vnni)"
args+=" -DGGML_AVX512_BF16=$(onoff avx512_bf16) -DGGML_AVX512_VBMI=$(onoff avx512vbmi)"
args+=" -DGGML_OPENMP=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"

key=$(printf '%s %s' "$VERSION" "$args" | sha256sum | cut -c1-16)
dir="$WHEELHOUSE/llama-cpp-python-$VERSION-$key"

if "$PY" -c "import llama_cpp, sys; sys.exit(0 if llama_cpp.__version__ == '$VERSION' else 1)" 2>/dev/null \
   && [ -f "$dir/FLAGS" ]; then
  echo "llama-cpp-python $VERSION déjà installé (build $key)."
  exit 0
fi

if ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "Compilation de llama-cpp-python $VERSION (≈7 min sur 2 cœurs), options : $args"
  mkdir -p "$dir.tmp"
  CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python --no-cache-dir \
      -w "$dir.tmp" "llama-cpp-python==$VERSION"
  echo "$args" > "$dir.tmp/FLAGS"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
"$PY" -m pip install --no-deps --force-reinstall "$dir"/llama_cpp_python-*.whl
"$PY" -m pip install 'numpy>=1.24' 'typing-extensions>=4.5' 'diskcache>=5.6' 'jinja2>=2.11'
echo "llama-cpp-python $VERSION installé (build $key)."
