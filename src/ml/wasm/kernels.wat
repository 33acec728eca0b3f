;; Numeric kernels in WebAssembly (SIMD), compiled at build time by scripts/wasm.js into
;; src/ml/wasm/kernels.generated.ts (base64) and instantiated by src/ml/wasm/kernels.ts.
;; All addresses are byte offsets into the exported memory; all numbers are f64.
(module
  (memory (export "memory") 1)

  ;; A dense layer on a block of rows: out[i, o] = b[o] + sum over k in order of x[i, k] * w[k, o],
  ;; then `s < 0 ? 0 : s` (ReLU, NaN kept) when $relu is not 0.
  ;; x: rows x in (row-major), w: in x outs (row-major), b: outs, out: rows x outs.
  ;; Requires rows even and outs a multiple of 8 (the caller pads with zeros).
  ;; Two rows by eight outputs per step: each weight vector serves two rows and each input value
  ;; eight outputs. Each output is still summed in the same order as the plain loop, with a
  ;; separate multiply and add (no fused multiply-add), so results equal the scalar code's.
  (func (export "dense")
    (param $x i32) (param $rows i32) (param $in i32) (param $w i32) (param $b i32)
    (param $outs i32) (param $out i32) (param $relu i32)
    (local $i i32) (local $o i32) (local $k i32)
    (local $xa i32) (local $xb i32) (local $wp i32) (local $pa i32) (local $pb i32)
    (local $inBytes i32) (local $outBytes i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $va v128) (local $vb v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local.set $inBytes (i32.shl (local.get $in) (i32.const 3)))
    (local.set $outBytes (i32.shl (local.get $outs) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $inBytes))))
        (local.set $xb (i32.add (local.get $xa) (local.get $inBytes)))
        (local.set $pa (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outBytes))))
        (local.set $pb (i32.add (local.get $pa) (local.get $outBytes)))
        (local.set $o (i32.const 0))
        (block $outsDone
          (loop $outLoop
            (br_if $outsDone (i32.ge_u (local.get $o) (local.get $outBytes)))
            ;; accumulators start at the bias
            (local.set $a0 (v128.load offset=0 (i32.add (local.get $b) (local.get $o))))
            (local.set $a1 (v128.load offset=16 (i32.add (local.get $b) (local.get $o))))
            (local.set $a2 (v128.load offset=32 (i32.add (local.get $b) (local.get $o))))
            (local.set $a3 (v128.load offset=48 (i32.add (local.get $b) (local.get $o))))
            (local.set $c0 (local.get $a0))
            (local.set $c1 (local.get $a1))
            (local.set $c2 (local.get $a2))
            (local.set $c3 (local.get $a3))
            (local.set $wp (i32.add (local.get $w) (local.get $o)))
            (local.set $k (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_u (local.get $k) (local.get $inBytes)))
                (local.set $va (f64x2.splat (f64.load (i32.add (local.get $xa) (local.get $k)))))
                (local.set $vb (f64x2.splat (f64.load (i32.add (local.get $xb) (local.get $k)))))
                (local.set $w0 (v128.load offset=0 (local.get $wp)))
                (local.set $w1 (v128.load offset=16 (local.get $wp)))
                (local.set $w2 (v128.load offset=32 (local.get $wp)))
                (local.set $w3 (v128.load offset=48 (local.get $wp)))
                (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $va) (local.get $w0))))
                (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $va) (local.get $w1))))
                (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $va) (local.get $w2))))
                (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $va) (local.get $w3))))
                (local.set $c0 (f64x2.add (local.get $c0) (f64x2.mul (local.get $vb) (local.get $w0))))
                (local.set $c1 (f64x2.add (local.get $c1) (f64x2.mul (local.get $vb) (local.get $w1))))
                (local.set $c2 (f64x2.add (local.get $c2) (f64x2.mul (local.get $vb) (local.get $w2))))
                (local.set $c3 (f64x2.add (local.get $c3) (f64x2.mul (local.get $vb) (local.get $w3))))
                (local.set $wp (i32.add (local.get $wp) (local.get $outBytes)))
                (local.set $k (i32.add (local.get $k) (i32.const 8)))
                (br $kLoop)))
            (if (local.get $relu)
              (then
                ;; pmax(s, 0) is `s < 0 ? 0 : s`
                (local.set $a0 (f64x2.pmax (local.get $a0) (v128.const f64x2 0 0)))
                (local.set $a1 (f64x2.pmax (local.get $a1) (v128.const f64x2 0 0)))
                (local.set $a2 (f64x2.pmax (local.get $a2) (v128.const f64x2 0 0)))
                (local.set $a3 (f64x2.pmax (local.get $a3) (v128.const f64x2 0 0)))
                (local.set $c0 (f64x2.pmax (local.get $c0) (v128.const f64x2 0 0)))
                (local.set $c1 (f64x2.pmax (local.get $c1) (v128.const f64x2 0 0)))
                (local.set $c2 (f64x2.pmax (local.get $c2) (v128.const f64x2 0 0)))
                (local.set $c3 (f64x2.pmax (local.get $c3) (v128.const f64x2 0 0)))))
            (v128.store offset=0 (i32.add (local.get $pa) (local.get $o)) (local.get $a0))
            (v128.store offset=16 (i32.add (local.get $pa) (local.get $o)) (local.get $a1))
            (v128.store offset=32 (i32.add (local.get $pa) (local.get $o)) (local.get $a2))
            (v128.store offset=48 (i32.add (local.get $pa) (local.get $o)) (local.get $a3))
            (v128.store offset=0 (i32.add (local.get $pb) (local.get $o)) (local.get $c0))
            (v128.store offset=16 (i32.add (local.get $pb) (local.get $o)) (local.get $c1))
            (v128.store offset=32 (i32.add (local.get $pb) (local.get $o)) (local.get $c2))
            (v128.store offset=48 (i32.add (local.get $pb) (local.get $o)) (local.get $c3))
            (local.set $o (i32.add (local.get $o) (i32.const 64)))
            (br $outLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rowLoop))))
)
