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
                (local.set $va (v128.load64_splat (i32.add (local.get $xa) (local.get $k))))
                (local.set $vb (v128.load64_splat (i32.add (local.get $xb) (local.get $k))))
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

  ;; Gradient/hessian/count histograms of the rows rows[start..end) (an i32 array of row indices),
  ;; into d * 8192 bytes at `hist`, zeroed first: for each row i, with [g, h] = gh[2i], gh[2i+1] and feature j, bin b = bins[i * d + j] (u8, row-major), the 32 bytes at
  ;; hist + j * 8192 + b * 32 hold [sum of g, sum of h, count, unused] as f64, and get
  ;; [g, h, 1, 0] added. The gradient and hessian sums share one f64x2 add (and one load: they
  ;; are interleaved, so a row's pair is in one cache line). Rows are
  ;; summed in order, so each sum is the same as the scalar loop's. With $counted 0 the count is
  ;; not kept: for a constant hessian of 1 (squared error) the hessian sum is the count, exactly.
  ;; Only features [f0, f1) are histogrammed (and their part of `hist` cleared): two threads
  ;; give each other's features alone and get what one call over all of them gives.
  ;; (Tables larger than the caches keep a node's rows together in memory, gbdt.ts: rows
  ;; scattered over 1M rows waited for memory, ~140 ns a row against 17 ns in order.)
  (func (export "histogram")
    (param $rows i32) (param $start i32) (param $end i32) (param $bins i32) (param $d i32)
    (param $f0 i32) (param $f1 i32) (param $gh i32) (param $hist i32) (param $counted i32)
    (local $t i32) (local $i i32) (local $o i32) (local $oe i32) (local $k i32) (local $pair v128)
    (local.set $hist (i32.add (local.get $hist) (i32.shl (local.get $f0) (i32.const 13))))
    (memory.fill (local.get $hist) (i32.const 0) (i32.shl (i32.sub (local.get $f1) (local.get $f0)) (i32.const 13)))
    (local.set $t (i32.add (local.get $rows) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $end (i32.add (local.get $rows) (i32.shl (local.get $end) (i32.const 2))))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $i (i32.load (local.get $t)))
        (local.set $pair (v128.load (i32.add (local.get $gh) (i32.shl (local.get $i) (i32.const 4)))))
        (local.set $o (i32.add (local.get $bins) (i32.mul (local.get $i) (local.get $d))))
        (local.set $oe (i32.add (local.get $o) (local.get $f1)))
        (local.set $o (i32.add (local.get $o) (local.get $f0)))
        (local.set $k (local.get $hist))
        (if (local.get $counted)
          (then
            ;; four features a step, then the rest one by one
            (block $quadsDoneC
              (loop $quadLoopC
                (br_if $quadsDoneC (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $oe)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=0 (local.get $o)) (i32.const 5))))
              (v128.store offset=0 (local.get $i) (f64x2.add (v128.load offset=0 (local.get $i)) (local.get $pair)))
              (f64.store offset=16 (local.get $i) (f64.add (f64.load offset=16 (local.get $i)) (f64.const 1)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=1 (local.get $o)) (i32.const 5))))
              (v128.store offset=8192 (local.get $i) (f64x2.add (v128.load offset=8192 (local.get $i)) (local.get $pair)))
              (f64.store offset=8208 (local.get $i) (f64.add (f64.load offset=8208 (local.get $i)) (f64.const 1)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=2 (local.get $o)) (i32.const 5))))
              (v128.store offset=16384 (local.get $i) (f64x2.add (v128.load offset=16384 (local.get $i)) (local.get $pair)))
              (f64.store offset=16400 (local.get $i) (f64.add (f64.load offset=16400 (local.get $i)) (f64.const 1)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=3 (local.get $o)) (i32.const 5))))
              (v128.store offset=24576 (local.get $i) (f64x2.add (v128.load offset=24576 (local.get $i)) (local.get $pair)))
              (f64.store offset=24592 (local.get $i) (f64.add (f64.load offset=24592 (local.get $i)) (f64.const 1)))
                (local.set $k (i32.add (local.get $k) (i32.const 32768)))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br $quadLoopC)))
            (block $featuresDoneC
              (loop $featureLoopC
                (br_if $featuresDoneC (i32.ge_u (local.get $o) (local.get $oe)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=0 (local.get $o)) (i32.const 5))))
              (v128.store offset=0 (local.get $i) (f64x2.add (v128.load offset=0 (local.get $i)) (local.get $pair)))
              (f64.store offset=16 (local.get $i) (f64.add (f64.load offset=16 (local.get $i)) (f64.const 1)))
                (local.set $k (i32.add (local.get $k) (i32.const 8192)))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))
                (br $featureLoopC)))
          )
          (else
            ;; four features a step, then the rest one by one
            (block $quadsDoneU
              (loop $quadLoopU
                (br_if $quadsDoneU (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $oe)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=0 (local.get $o)) (i32.const 5))))
              (v128.store offset=0 (local.get $i) (f64x2.add (v128.load offset=0 (local.get $i)) (local.get $pair)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=1 (local.get $o)) (i32.const 5))))
              (v128.store offset=8192 (local.get $i) (f64x2.add (v128.load offset=8192 (local.get $i)) (local.get $pair)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=2 (local.get $o)) (i32.const 5))))
              (v128.store offset=16384 (local.get $i) (f64x2.add (v128.load offset=16384 (local.get $i)) (local.get $pair)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=3 (local.get $o)) (i32.const 5))))
              (v128.store offset=24576 (local.get $i) (f64x2.add (v128.load offset=24576 (local.get $i)) (local.get $pair)))
                (local.set $k (i32.add (local.get $k) (i32.const 32768)))
                (local.set $o (i32.add (local.get $o) (i32.const 4)))
                (br $quadLoopU)))
            (block $featuresDoneU
              (loop $featureLoopU
                (br_if $featuresDoneU (i32.ge_u (local.get $o) (local.get $oe)))
              (local.set $i (i32.add (local.get $k) (i32.shl (i32.load8_u offset=0 (local.get $o)) (i32.const 5))))
              (v128.store offset=0 (local.get $i) (f64x2.add (v128.load offset=0 (local.get $i)) (local.get $pair)))
                (local.set $k (i32.add (local.get $k) (i32.const 8192)))
                (local.set $o (i32.add (local.get $o) (i32.const 1)))
                (br $featureLoopU)))
          ))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $rowLoop))))

  ;; Splits the rows rows[start..end) of a node in place, stably: rows whose bin in `col` (the
  ;; split feature's bins, u8 by row index) goes left (table[b] = 1; `table` holds 256 bytes,
  ;; made by gbdt.ts for a threshold, bin <= t with missing values, bin 255, on the side chosen,
  ;; or for a set of categories) go first, the others after them (through `scratch`, an i32 array). Returns
  ;; the index of the first right row; writes [sum of g, sum of h] over the left rows (gh as in
  ;; `histogram`), summed in order, to `sums`. Branch-free: each row is written to both sides and one cursor advances.
  (func (export "partition")
    (param $rows i32) (param $start i32) (param $end i32) (param $col i32) (param $table i32)
    (param $scratch i32) (param $pairs i32) (param $sums i32)
    (result i32)
    (local $t i32) (local $l i32) (local $r i32) (local $i i32) (local $b i32) (local $left i32)
    (local $gh v128) (local $e i32)
    (local.set $t (i32.add (local.get $rows) (i32.shl (local.get $start) (i32.const 2))))
    (local.set $e (i32.add (local.get $rows) (i32.shl (local.get $end) (i32.const 2))))
    (local.set $l (local.get $t))
    (local.set $r (local.get $scratch))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $t) (local.get $e)))
        (local.set $i (i32.load (local.get $t)))
        (local.set $b (i32.load8_u (i32.add (local.get $col) (local.get $i))))
        (local.set $left (i32.load8_u (i32.add (local.get $table) (local.get $b))))
        (i32.store (local.get $l) (local.get $i))
        (i32.store (local.get $r) (local.get $i))
        (local.set $gh
          (select
            (f64x2.add (local.get $gh) (v128.load (i32.add (local.get $pairs) (i32.shl (local.get $i) (i32.const 4)))))
            (local.get $gh)
            (local.get $left)))
        (local.set $l (i32.add (local.get $l) (i32.shl (local.get $left) (i32.const 2))))
        (local.set $r (i32.add (local.get $r) (i32.shl (i32.xor (local.get $left) (i32.const 1)) (i32.const 2))))
        (local.set $t (i32.add (local.get $t) (i32.const 4)))
        (br $rowLoop)))
    (memory.copy (local.get $l) (local.get $scratch) (i32.sub (local.get $r) (local.get $scratch)))
    (v128.store (local.get $sums) (local.get $gh))
    (i32.shr_u (i32.sub (local.get $l) (local.get $rows)) (i32.const 2)))

  ;; `partition` for rows kept in node order (tables larger than the caches, gbdt.ts): positions
  ;; [start, end) of three parallel arrays move together, stably, left rows first: `rows` (i32
  ;; row numbers), `bins` (each row's bins, `stride` bytes, a multiple of 4) and `gh` (16 bytes
  ;; a row). Left rows are moved down in place, right rows through the scratch arrays (each
  ;; from its start) and copied back after them. A row is left when table[its bin of `feature`]
  ;; is 1 (as in `partition`). Writes the left rows' [sum of g, sum of
  ;; h], summed in order, to `sums`; returns the position of the first right row. Histograms of
  ;; a node then read its rows' bins and gradients in one stream (not a load from far away
  ;; per row). Branch-free: each row goes to the side's address chosen by a select, and that
  ;; side's cursor advances. A row's bins are copied 16 bytes at a time, then 4 (exactly its
  ;; stride: a left row moved down never writes over one not yet read).
  (func (export "partitionMoving")
    (param $start i32) (param $end i32) (param $rows i32) (param $bins i32) (param $stride i32) (param $feature i32)
    (param $table i32) (param $gh i32) (param $sRows i32) (param $sBins i32) (param $sGh i32) (param $sums i32)
    (result i32)
    (local $t i32) (local $l i32) (local $r i32) (local $b i32) (local $left i32) (local $sum v128) (local $pair v128)
    (local $src i32) (local $dst i32) (local $q i32) (local $wide i32)
    (local.set $t (local.get $start))
    (local.set $l (local.get $start))
    (local.set $wide (i32.sub (local.get $stride) (i32.const 15)))
    (block $done
      (loop $rowLoop
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $src (i32.add (local.get $bins) (i32.mul (local.get $t) (local.get $stride))))
        (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $feature))))
        (local.set $left (i32.load8_u (i32.add (local.get $table) (local.get $b))))
        ;; the row's bins to its side
        (local.set $dst (select
          (i32.add (local.get $bins) (i32.mul (local.get $l) (local.get $stride)))
          (i32.add (local.get $sBins) (i32.mul (local.get $r) (local.get $stride)))
          (local.get $left)))
        (local.set $q (i32.const 0))
        (block $wideDone
          (loop $wideCopy
            (br_if $wideDone (i32.ge_s (local.get $q) (local.get $wide)))
            (v128.store (i32.add (local.get $dst) (local.get $q)) (v128.load (i32.add (local.get $src) (local.get $q))))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br $wideCopy)))
        (block $narrowDone
          (loop $narrowCopy
            (br_if $narrowDone (i32.ge_u (local.get $q) (local.get $stride)))
            (i32.store (i32.add (local.get $dst) (local.get $q)) (i32.load (i32.add (local.get $src) (local.get $q))))
            (local.set $q (i32.add (local.get $q) (i32.const 4)))
            (br $narrowCopy)))
        (local.set $pair (v128.load (i32.add (local.get $gh) (i32.shl (local.get $t) (i32.const 4)))))
        (v128.store (select
          (i32.add (local.get $gh) (i32.shl (local.get $l) (i32.const 4)))
          (i32.add (local.get $sGh) (i32.shl (local.get $r) (i32.const 4)))
          (local.get $left)) (local.get $pair))
        (i32.store (select
          (i32.add (local.get $rows) (i32.shl (local.get $l) (i32.const 2)))
          (i32.add (local.get $sRows) (i32.shl (local.get $r) (i32.const 2)))
          (local.get $left)) (i32.load (i32.add (local.get $rows) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $sum (select (f64x2.add (local.get $sum) (local.get $pair)) (local.get $sum) (local.get $left)))
        (local.set $l (i32.add (local.get $l) (local.get $left)))
        (local.set $r (i32.add (local.get $r) (i32.xor (local.get $left) (i32.const 1))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $rowLoop)))
    (memory.copy (i32.add (local.get $bins) (i32.mul (local.get $l) (local.get $stride))) (local.get $sBins) (i32.mul (local.get $r) (local.get $stride)))
    (memory.copy (i32.add (local.get $gh) (i32.shl (local.get $l) (i32.const 4))) (local.get $sGh) (i32.shl (local.get $r) (i32.const 4)))
    (memory.copy (i32.add (local.get $rows) (i32.shl (local.get $l) (i32.const 2))) (local.get $sRows) (i32.shl (local.get $r) (i32.const 2)))
    (v128.store (local.get $sums) (local.get $sum))
    (local.get $l))

  ;; Bytes [from, mid) and [mid, to) change places, the first through `tmp` (byte offsets).
  (func (export "swapBlocks") (param $from i32) (param $mid i32) (param $to i32) (param $tmp i32)
    (memory.copy (local.get $tmp) (local.get $from) (i32.sub (local.get $mid) (local.get $from)))
    (memory.copy (local.get $from) (local.get $mid) (i32.sub (local.get $to) (local.get $mid)))
    (memory.copy (i32.add (local.get $from) (i32.sub (local.get $to) (local.get $mid))) (local.get $tmp) (i32.sub (local.get $mid) (local.get $from))))

  ;; A tree's start: rows[i] = i for i < n, and the sums of the gradients and of the hessians
  ;; (gh interleaved) in row order, written to out[0] and out[1] (f64).
  (func (export "startRows") (param $rows i32) (param $gh i32) (param $n i32) (param $out i32)
    (local $i i32) (local $g f64) (local $h f64) (local $o i32)
    (local.set $o (local.get $gh))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
        (local.set $g (f64.add (local.get $g) (f64.load (local.get $o))))
        (local.set $h (f64.add (local.get $h) (f64.load offset=8 (local.get $o))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (f64.store (local.get $out) (local.get $g))
    (f64.store offset=8 (local.get $out) (local.get $h)))

  ;; Adds each leaf's value to the raw scores of its rows: leaves [from, to) of `list`, 16-byte
  ;; records [start i32, end i32, value f64], leaf l's rows being rows[start..end). The leaves
  ;; hold distinct rows, so two threads may take a share of the list each.
  (func (export "addLeaves") (param $rows i32) (param $raw i32) (param $list i32) (param $from i32) (param $to i32)
    (local $l i32) (local $t i32) (local $end i32) (local $v f64) (local $r i32)
    (local.set $l (local.get $from))
    (block $done
      (loop $leaf
        (br_if $done (i32.ge_u (local.get $l) (local.get $to)))
        (local.set $r (i32.add (local.get $list) (i32.shl (local.get $l) (i32.const 4))))
        (local.set $t (i32.load (local.get $r)))
        (local.set $end (i32.load offset=4 (local.get $r)))
        (local.set $v (f64.load offset=8 (local.get $r)))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $t) (local.get $end)))
            (local.set $r (i32.add (local.get $raw) (i32.shl (i32.load (i32.add (local.get $rows) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))
            (f64.store (local.get $r) (f64.add (f64.load (local.get $r)) (local.get $v)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $row)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $leaf))))

  ;; n bytes from `src` to `dst` (regions apart), for a partner thread to take half of a copy.
  (func (export "copyBytes") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))

    ;; The best split of a node from its histogram (the layout of `histogram`): for each feature j
  ;; (bins 0..nbins[j]-1, nbins an i32 array), each threshold bin b < nbins[j] - 1, and missing
  ;; values (bin 255) either right (first pass) or, when there are any, left (second pass): the
  ;; gain lG^2/(lH+lambda) + rG^2/(rH+lambda) - G^2/(H+lambda), over candidates with at least
  ;; $minLeaf rows and $minHess hessian on each side. The first largest gain above 1e-12 wins,
  ;; in the order features, passes, bins (as the scalar code did). Counts are read at byte
  ;; $countAt of a bin: 16, or 8 (the hessian sums) when `histogram` did not count. Returns 1 and
  ;; writes [gain f64, feature i32, bin i32, missingLeft i32] to `out`, or returns 0.
  (func (export "bestSplit")
    (param $hist i32) (param $d i32) (param $nbins i32) (param $count f64) (param $G f64) (param $H f64)
    (param $lambda f64) (param $minLeaf f64) (param $minHess f64) (param $countAt i32) (param $out i32) (result i32)
    (local $j i32) (local $b i32) (local $last i32) (local $pass i32) (local $passes i32) (local $o i32) (local $hb i32)
    (local $lG f64) (local $lH f64) (local $lC f64) (local $rG f64) (local $rH f64) (local $gain f64) (local $parent f64)
    (local $mG f64) (local $mH f64) (local $mC f64) (local $best f64) (local $found i32)
    (local $bestJ i32) (local $bestB i32) (local $bestM i32)
    (local.set $parent (f64.div (f64.mul (local.get $G) (local.get $G)) (f64.add (local.get $H) (local.get $lambda))))
    (local.set $best (f64.const -inf))
    (local.set $j (i32.const 0))
    (block $featuresDone
      (loop $featureLoop
        (br_if $featuresDone (i32.ge_u (local.get $j) (local.get $d)))
        (local.set $hb (i32.add (local.get $hist) (i32.shl (local.get $j) (i32.const 13))))
        (local.set $mG (f64.load offset=8160 (local.get $hb)))
        (local.set $mH (f64.load offset=8168 (local.get $hb)))
        (local.set $mC (f64.load offset=8160 (i32.add (local.get $hb) (local.get $countAt))))
        (local.set $last (i32.sub (i32.load (i32.add (local.get $nbins) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 1)))
        (local.set $passes (select (i32.const 2) (i32.const 1) (f64.gt (local.get $mC) (f64.const 0))))
        (local.set $pass (i32.const 0))
        (block $passesDone
          (loop $passLoop
            (br_if $passesDone (i32.ge_u (local.get $pass) (local.get $passes)))
            (if (local.get $pass)
              (then
                (local.set $lG (local.get $mG))
                (local.set $lH (local.get $mH))
                (local.set $lC (local.get $mC)))
              (else
                (local.set $lG (f64.const 0))
                (local.set $lH (f64.const 0))
                (local.set $lC (f64.const 0))))
            (local.set $b (i32.const 0))
            (local.set $o (local.get $hb))
            (block $binsDone
              (loop $binLoop
                (br_if $binsDone (i32.ge_s (local.get $b) (local.get $last)))
                (local.set $lG (f64.add (local.get $lG) (f64.load offset=0 (local.get $o))))
                (local.set $lH (f64.add (local.get $lH) (f64.load offset=8 (local.get $o))))
                (local.set $lC (f64.add (local.get $lC) (f64.load (i32.add (local.get $o) (local.get $countAt)))))
                (local.set $b (i32.add (local.get $b) (i32.const 1)))
                (local.set $o (i32.add (local.get $o) (i32.const 32)))
                ;; too few rows on the left: next bin; too few on the right: no later bin does better
                (br_if $binLoop (f64.lt (local.get $lC) (local.get $minLeaf)))
                (br_if $binsDone (f64.lt (f64.sub (local.get $count) (local.get $lC)) (local.get $minLeaf)))
                (local.set $rG (f64.sub (local.get $G) (local.get $lG)))
                (local.set $rH (f64.sub (local.get $H) (local.get $lH)))
                (br_if $binLoop (f64.lt (local.get $lH) (local.get $minHess)))
                (br_if $binLoop (f64.lt (local.get $rH) (local.get $minHess)))
                (local.set $gain
                  (f64.sub
                    (f64.add
                      (f64.div (f64.mul (local.get $lG) (local.get $lG)) (f64.add (local.get $lH) (local.get $lambda)))
                      (f64.div (f64.mul (local.get $rG) (local.get $rG)) (f64.add (local.get $rH) (local.get $lambda))))
                    (local.get $parent)))
                (if (i32.and (f64.gt (local.get $gain) (f64.const 1e-12)) (f64.gt (local.get $gain) (local.get $best)))
                  (then
                    (local.set $best (local.get $gain))
                    (local.set $found (i32.const 1))
                    (local.set $bestJ (local.get $j))
                    (local.set $bestB (i32.sub (local.get $b) (i32.const 1)))
                    (local.set $bestM (local.get $pass))))
                (br $binLoop)))
            (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
            (br $passLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $featureLoop)))
    (f64.store offset=0 (local.get $out) (local.get $best))
    (i32.store offset=8 (local.get $out) (local.get $bestJ))
    (i32.store offset=12 (local.get $out) (local.get $bestB))
    (i32.store offset=16 (local.get $out) (local.get $bestM))
    (local.get $found))

  ;; Whether value v goes left at a split on categories (node p, as in `leaves`): a missing value
  ;; (NaN, or a negative code: a level never seen) as the code says; category code c < 255 when
  ;; byte c of the node's 256 is 1; any other value right.
  (func $categoryLeft (param $p i32) (param $code i32) (param $v f64) (result i32)
    (local $c i32)
    (if (i32.or (f64.ne (local.get $v) (local.get $v)) (f64.lt (local.get $v) (f64.const 0)))
      (then (return (i32.and (local.get $code) (i32.const 1)))))
    (local.set $c (i32.trunc_sat_f64_u (local.get $v)))
    (if (i32.ge_u (local.get $c) (i32.const 255)) (then (return (i32.const 0))))
    (i32.load8_u (i32.add (i32.load (local.get $p)) (local.get $c))))

  ;; The leaf each row reaches in one tree. A node is 16 bytes: [threshold f64, code i32, child i32]
  ;; with code = feature * 4 + (2 for a split on categories) + (1 when missing values go left); a
  ;; split's children are nodes `child` (left: value <= threshold, or missing when the code says
  ;; so) and `child` + 1 (right). A split on categories holds, instead of the threshold, the i32
  ;; address of 256 bytes: 1 for the category codes that go left (see $categoryLeft).
  ;; A leaf is encoded as a split that always goes left to itself (code 1, threshold +inf, child
  ;; its own index), so a step is the same for every node and, without categories, has no
  ;; branch. Four rows walk down together (their memory loads overlap) until a step moves none
  ;; of them. (Refilling a lane as soon as its row is done wastes no steps but was slower: its
  ;; branch mispredicts.)
  ;; x: rows x d (row-major, rows a multiple of 4); out: i32 per row, the index reached.
  (func $leaves (export "leaves")
    (param $nodes i32) (param $x i32) (param $rows i32) (param $d i32) (param $out i32)
    (local $i i32) (local $rowBytes i32) (local $p i32) (local $code i32) (local $v f64)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $n0 i32) (local $n1 i32) (local $n2 i32) (local $n3 i32)
    (local $m0 i32) (local $m1 i32) (local $m2 i32) (local $m3 i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $x0 (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $x1 (i32.add (local.get $x0) (local.get $rowBytes)))
        (local.set $x2 (i32.add (local.get $x1) (local.get $rowBytes)))
        (local.set $x3 (i32.add (local.get $x2) (local.get $rowBytes)))
        (local.set $n0 (i32.const 0))
        (local.set $n1 (i32.const 0))
        (local.set $n2 (i32.const 0))
        (local.set $n3 (i32.const 0))
        (loop $step
        (local.set $p (i32.add (local.get $nodes) (i32.shl (local.get $n0) (i32.const 4))))
        (local.set $code (i32.load offset=8 (local.get $p)))
        (local.set $v (f64.load (i32.add (local.get $x0) (i32.shl (i32.shr_u (local.get $code) (i32.const 2)) (i32.const 3)))))
        (local.set $m0
          (i32.sub
            (i32.add (i32.load offset=12 (local.get $p)) (i32.const 1))
            (if (result i32) (i32.and (local.get $code) (i32.const 2))
              (then (call $categoryLeft (local.get $p) (local.get $code) (local.get $v)))
              (else
                (i32.or
                  (f64.le (local.get $v) (f64.load (local.get $p)))
                  (i32.and (f64.ne (local.get $v) (local.get $v)) (i32.and (local.get $code) (i32.const 1))))))))
        (local.set $p (i32.add (local.get $nodes) (i32.shl (local.get $n1) (i32.const 4))))
        (local.set $code (i32.load offset=8 (local.get $p)))
        (local.set $v (f64.load (i32.add (local.get $x1) (i32.shl (i32.shr_u (local.get $code) (i32.const 2)) (i32.const 3)))))
        (local.set $m1
          (i32.sub
            (i32.add (i32.load offset=12 (local.get $p)) (i32.const 1))
            (if (result i32) (i32.and (local.get $code) (i32.const 2))
              (then (call $categoryLeft (local.get $p) (local.get $code) (local.get $v)))
              (else
                (i32.or
                  (f64.le (local.get $v) (f64.load (local.get $p)))
                  (i32.and (f64.ne (local.get $v) (local.get $v)) (i32.and (local.get $code) (i32.const 1))))))))
        (local.set $p (i32.add (local.get $nodes) (i32.shl (local.get $n2) (i32.const 4))))
        (local.set $code (i32.load offset=8 (local.get $p)))
        (local.set $v (f64.load (i32.add (local.get $x2) (i32.shl (i32.shr_u (local.get $code) (i32.const 2)) (i32.const 3)))))
        (local.set $m2
          (i32.sub
            (i32.add (i32.load offset=12 (local.get $p)) (i32.const 1))
            (if (result i32) (i32.and (local.get $code) (i32.const 2))
              (then (call $categoryLeft (local.get $p) (local.get $code) (local.get $v)))
              (else
                (i32.or
                  (f64.le (local.get $v) (f64.load (local.get $p)))
                  (i32.and (f64.ne (local.get $v) (local.get $v)) (i32.and (local.get $code) (i32.const 1))))))))
        (local.set $p (i32.add (local.get $nodes) (i32.shl (local.get $n3) (i32.const 4))))
        (local.set $code (i32.load offset=8 (local.get $p)))
        (local.set $v (f64.load (i32.add (local.get $x3) (i32.shl (i32.shr_u (local.get $code) (i32.const 2)) (i32.const 3)))))
        (local.set $m3
          (i32.sub
            (i32.add (i32.load offset=12 (local.get $p)) (i32.const 1))
            (if (result i32) (i32.and (local.get $code) (i32.const 2))
              (then (call $categoryLeft (local.get $p) (local.get $code) (local.get $v)))
              (else
                (i32.or
                  (f64.le (local.get $v) (f64.load (local.get $p)))
                  (i32.and (f64.ne (local.get $v) (local.get $v)) (i32.and (local.get $code) (i32.const 1))))))))
        (local.set $p
          (i32.or
            (i32.or (i32.ne (local.get $m0) (local.get $n0)) (i32.ne (local.get $m1) (local.get $n1)))
            (i32.or (i32.ne (local.get $m2) (local.get $n2)) (i32.ne (local.get $m3) (local.get $n3)))))
        (local.set $n0 (local.get $m0))
        (local.set $n1 (local.get $m1))
        (local.set $n2 (local.get $m2))
        (local.set $n3 (local.get $m3))
        (br_if $step (local.get $p)))
        (i32.store offset=0 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $n0))
        (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $n1))
        (i32.store offset=8 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $n2))
        (i32.store offset=12 (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $n3))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rowLoop))))

  ;; ;; An ensemble's leaf values added up per row, in chunks of rows claimed from a counter: two
  ;; threads over one shared memory call it together, each claiming the next `chunk` rows (an
  ;; atomic add on the i32 at `counter`) until none are left, so a thread that starts late takes
  ;; fewer. Each row's sums are made by one thread in tree order, whoever does it. `table` holds
  ;; per tree four i32: its nodes (as `leaves`), its values (f64, `m` per compiled node index),
  ;; `m`, and the column c0 it adds to: out[r * k + c0 + j] += values[leaf * m + j] for j < m.
  ;; x: rows x d (rows and chunk multiples of 4); `scratch` holds chunk i32 (one per thread).
  ;; Returns how many rows this call summed.
  (func (export "scoreTrees")
    (param $table i32) (param $trees i32) (param $x i32) (param $rows i32) (param $d i32) (param $k i32)
    (param $out i32) (param $scratch i32) (param $counter i32) (param $chunk i32) (result i32)
    (local $summed i32) (local $start i32) (local $count i32) (local $t i32) (local $e i32) (local $values i32) (local $m i32)
    (local $r i32) (local $j i32) (local $o i32) (local $v i32)
    (block $allDone
      (loop $chunks
        (local.set $start (i32.atomic.rmw.add (local.get $counter) (local.get $chunk)))
        (br_if $allDone (i32.ge_u (local.get $start) (local.get $rows)))
        (local.set $count (local.get $chunk))
        (if (i32.gt_u (local.get $count) (i32.sub (local.get $rows) (local.get $start)))
          (then (local.set $count (i32.sub (local.get $rows) (local.get $start)))))
        (local.set $t (i32.const 0))
        (block $treesDone
          (loop $treeLoop
            (br_if $treesDone (i32.ge_u (local.get $t) (local.get $trees)))
            (local.set $e (i32.add (local.get $table) (i32.shl (local.get $t) (i32.const 4))))
            (call $leaves (i32.load (local.get $e))
              (i32.add (local.get $x) (i32.shl (i32.mul (local.get $start) (local.get $d)) (i32.const 3)))
              (local.get $count) (local.get $d) (local.get $scratch))
            (local.set $values (i32.load offset=4 (local.get $e)))
            (local.set $m (i32.load offset=8 (local.get $e)))
            (local.set $r (i32.const 0))
            (block $rowsDone
              (loop $rowLoop
                (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $count)))
                (local.set $o (i32.add (local.get $out)
                  (i32.shl (i32.add (i32.mul (i32.add (local.get $start) (local.get $r)) (local.get $k)) (i32.load offset=12 (local.get $e))) (i32.const 3))))
                (local.set $v (i32.add (local.get $values)
                  (i32.shl (i32.mul (i32.load (i32.add (local.get $scratch) (i32.shl (local.get $r) (i32.const 2)))) (local.get $m)) (i32.const 3))))
                (local.set $j (i32.const 0))
                (loop $outputs
                  (f64.store (local.get $o) (f64.add (f64.load (local.get $o)) (f64.load (local.get $v))))
                  (local.set $o (i32.add (local.get $o) (i32.const 8)))
                  (local.set $v (i32.add (local.get $v) (i32.const 8)))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br_if $outputs (i32.lt_u (local.get $j) (local.get $m))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rowLoop)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $treeLoop)))
        (local.set $summed (i32.add (local.get $summed) (local.get $count)))
        (br $chunks)))
    (local.get $summed))

    ;; a[i] -= b[i] for the n f64 at `a` and `b` (n even), two at a time.
  (func (export "subtract") (param $a i32) (param $b i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (v128.store (local.get $a) (f64x2.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l))))

  ;; Gradients and hessians of the binary log loss for rows [from, to) (from even): for raw
  ;; score s and label y (f64, 0 or 1), p = sigmoid(s) (as in $logisticTerms, with $expNeg),
  ;; gh[2i] = p - y and gh[2i + 1] = p (1 - p). Two rows a step; `raw` and `y` must hold a
  ;; readable row past an odd `to` (its results are not stored).
  (func (export "binaryGradients") (param $raw i32) (param $y i32) (param $from i32) (param $to i32) (param $gh i32)
    (local $i i32) (local $s v128) (local $e v128) (local $q v128) (local $p v128) (local $yv v128) (local $o i32)
    (local.set $i (local.get $from))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $s (v128.load (i32.add (local.get $raw) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $yv (v128.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $e (call $expNeg (f64x2.neg (f64x2.abs (local.get $s)))))
        (local.set $q (f64x2.div (v128.const f64x2 1 1) (f64x2.add (v128.const f64x2 1 1) (local.get $e))))
        (local.set $p (v128.bitselect (local.get $q) (f64x2.mul (local.get $e) (local.get $q)) (f64x2.ge (local.get $s) (v128.const f64x2 0 0))))
        (local.set $o (i32.add (local.get $gh) (i32.shl (local.get $i) (i32.const 4))))
        ;; [g0, h0] and [g1, h1]: lanes of (p - y) and p (1 - p) interleaved
        (local.set $yv (f64x2.sub (local.get $p) (local.get $yv)))
        (local.set $p (f64x2.mul (local.get $p) (f64x2.sub (v128.const f64x2 1 1) (local.get $p))))
        (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $yv) (local.get $p)))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $to))
          (then (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $yv) (local.get $p)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs))))

  ;; Softmax of the raw scores of rows [from, to) (from even), class-major (class c of row i at
  ;; raw[c * n + i], and the same in probs): the max over classes, e = exp(s - max) ($expNeg)
  ;; summed in class order, then each e divided by the sum. Two rows a step; `raw` must hold a
  ;; readable f64 past its end (for an odd `to`; that lane is not stored).
  (func (export "softmax") (param $raw i32) (param $n i32) (param $k i32) (param $from i32) (param $to i32) (param $probs i32)
    (local $i i32) (local $c i32) (local $o i32) (local $max v128) (local $sum v128) (local $e v128) (local $stride i32) (local $pair i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 3)))
    (local.set $i (local.get $from))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $pair (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $to)))
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (local.set $max (v128.const f64x2 -inf -inf))
        (local.set $c (i32.const 0))
        (loop $maxLoop
          (local.set $max (f64x2.max (local.get $max) (v128.load (i32.add (local.get $raw) (local.get $o)))))
          (local.set $o (i32.add (local.get $o) (local.get $stride)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $maxLoop (i32.lt_u (local.get $c) (local.get $k))))
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (local.set $sum (v128.const f64x2 0 0))
        (local.set $c (i32.const 0))
        (loop $expLoop
          (local.set $e (call $expNeg (f64x2.sub (v128.load (i32.add (local.get $raw) (local.get $o))) (local.get $max))))
          (local.set $sum (f64x2.add (local.get $sum) (local.get $e)))
          (if (local.get $pair)
            (then (v128.store (i32.add (local.get $probs) (local.get $o)) (local.get $e)))
            (else (f64.store (i32.add (local.get $probs) (local.get $o)) (f64x2.extract_lane 0 (local.get $e)))))
          (local.set $o (i32.add (local.get $o) (local.get $stride)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $expLoop (i32.lt_u (local.get $c) (local.get $k))))
        (local.set $o (i32.shl (local.get $i) (i32.const 3)))
        (local.set $c (i32.const 0))
        (loop $divLoop
          (if (local.get $pair)
            (then (v128.store (i32.add (local.get $probs) (local.get $o))
              (f64x2.div (v128.load (i32.add (local.get $probs) (local.get $o))) (local.get $sum))))
            (else (f64.store (i32.add (local.get $probs) (local.get $o))
              (f64.div (f64.load (i32.add (local.get $probs) (local.get $o))) (f64x2.extract_lane 0 (local.get $sum))))))
          (local.set $o (i32.add (local.get $o) (local.get $stride)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br_if $divLoop (i32.lt_u (local.get $c) (local.get $k))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs))))

  ;; Gradients and hessians of the multiclass log loss for class c, rows [from, to) (from even):
  ;; from p (the class's probabilities, one per row) and the labels y (f64 class numbers),
  ;; gh[2i] = p - (y == c ? 1 : 0) and gh[2i + 1] = p (1 - p). Two rows a step (as binaryGradients).
  (func (export "classGradients") (param $p i32) (param $y i32) (param $c i32) (param $from i32) (param $to i32) (param $gh i32)
    (local $i i32) (local $pv v128) (local $g v128) (local $o i32) (local $cv v128)
    (local.set $cv (f64x2.splat (f64.convert_i32_s (local.get $c))))
    (local.set $i (local.get $from))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $pv (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $g (f64x2.sub (local.get $pv)
          (v128.and (f64x2.eq (v128.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3)))) (local.get $cv)) (v128.const f64x2 1 1))))
        (local.set $pv (f64x2.mul (local.get $pv) (f64x2.sub (v128.const f64x2 1 1) (local.get $pv))))
        (local.set $o (i32.add (local.get $gh) (i32.shl (local.get $i) (i32.const 4))))
        (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $g) (local.get $pv)))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $to))
          (then (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $g) (local.get $pv)))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs))))

    ;; Linear scores: out[i * k + c] = b[c] + (sum over j of x[i * d + j] * w[c * d + j]), for n rows
  ;; of x (n x d) and k weight rows (k x d); each sum runs over even and odd j in two lanes (for
  ;; an odd d, the last j in the even lane, as if both were padded with a zero column), the two
  ;; lanes added last, then to the intercept b[c]. Four rows per step, each in its own accumulator (four
  ;; independent chains of additions rather than one; every row keeps the order above); the last
  ;; n mod 4 rows one at a time.
  (func (export "scores")
    (param $x i32) (param $n i32) (param $d i32) (param $w i32) (param $b i32) (param $k i32) (param $out i32)
    (local $i i32) (local $c i32) (local $j i32) (local $xr i32) (local $wr i32) (local $rowBytes i32) (local $n4 i32)
    (local $wv v128) (local $acc v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $bc f64) (local $o i32) (local $pairBytes i32) (local $odd i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (local.set $pairBytes (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3)))
    (local.set $odd (i32.and (local.get $d) (i32.const 1)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $quadsDone
      (loop $quadLoop
        (br_if $quadsDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (local.set $wr (local.get $w))
        (block $classesDone4
          (loop $classLoop4
            (br_if $classesDone4 (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $acc (v128.const f64x2 0 0))
            (local.set $acc1 (v128.const f64x2 0 0))
            (local.set $acc2 (v128.const f64x2 0 0))
            (local.set $acc3 (v128.const f64x2 0 0))
            (local.set $j (i32.const 0))
            (block $featuresDone4
              (loop $featureLoop4
                (br_if $featuresDone4 (i32.ge_u (local.get $j) (local.get $pairBytes)))
                (local.set $wv (v128.load (i32.add (local.get $wr) (local.get $j))))
                (local.set $o (i32.add (local.get $xr) (local.get $j)))
                (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc3 (f64x2.add (local.get $acc3) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $featureLoop4)))
            (if (local.get $odd)
              (then
                (local.set $wv (v128.load64_zero (i32.add (local.get $wr) (local.get $pairBytes))))
                (local.set $o (i32.add (local.get $xr) (local.get $pairBytes)))
                (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (v128.load64_zero (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load64_zero (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (v128.load64_zero (local.get $o)) (local.get $wv))))
                (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
                (local.set $acc3 (f64x2.add (local.get $acc3) (f64x2.mul (v128.load64_zero (local.get $o)) (local.get $wv))))))
            (local.set $bc (f64.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (local.get $bc) (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (local.get $bc) (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1)))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (local.get $bc) (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (f64x2.extract_lane 1 (local.get $acc2)))))
            (local.set $o (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 3))))
            (f64.store (local.get $o)
              (f64.add (local.get $bc) (f64.add (f64x2.extract_lane 0 (local.get $acc3)) (f64x2.extract_lane 1 (local.get $acc3)))))
            (local.set $wr (i32.add (local.get $wr) (local.get $rowBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classLoop4)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quadLoop)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (local.set $wr (local.get $w))
        (block $classesDone
          (loop $classLoop
            (br_if $classesDone (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $acc (v128.const f64x2 0 0))
            (local.set $j (i32.const 0))
            (block $featuresDone
              (loop $featureLoop
                (br_if $featuresDone (i32.ge_u (local.get $j) (local.get $pairBytes)))
                (local.set $acc
                  (f64x2.add (local.get $acc)
                    (f64x2.mul (v128.load (i32.add (local.get $xr) (local.get $j))) (v128.load (i32.add (local.get $wr) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $featureLoop)))
            (if (local.get $odd)
              (then
                (local.set $acc
                  (f64x2.add (local.get $acc)
                    (f64x2.mul (v128.load64_zero (i32.add (local.get $xr) (local.get $pairBytes))) (v128.load64_zero (i32.add (local.get $wr) (local.get $pairBytes))))))))
            (f64.store
              (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 3)))
              (f64.add
                (f64.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3))))
                (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
            (local.set $wr (i32.add (local.get $wr) (local.get $rowBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))

  ;; The class of each of n rows of scores (n x k): for k = 1, 1 when the score is > 0, else 0; for
  ;; more, the first index of the largest score (NaN is never larger). As f64, into out (n).
  (func (export "classes") (param $s i32) (param $n i32) (param $k i32) (param $out i32)
    (local $end i32) (local $c i32) (local $arg i32) (local $max f64) (local $v f64)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then
        (block $done1
          (loop $l1
            (br_if $done1 (i32.ge_u (local.get $out) (local.get $end)))
            (f64.store (local.get $out) (f64.convert_i32_u (f64.gt (f64.load (local.get $s)) (f64.const 0))))
            (local.set $s (i32.add (local.get $s) (i32.const 8)))
            (local.set $out (i32.add (local.get $out) (i32.const 8)))
            (br $l1)))
        (return)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $arg (i32.const 0))
        (local.set $max (f64.load (local.get $s)))
        (local.set $c (i32.const 1))
        (block $classesDone
          (loop $classLoop
            (br_if $classesDone (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $v (f64.load (i32.add (local.get $s) (i32.shl (local.get $c) (i32.const 3)))))
            (if (f64.gt (local.get $v) (local.get $max))
              (then
                (local.set $max (local.get $v))
                (local.set $arg (local.get $c))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classLoop)))
        (f64.store (local.get $out) (f64.convert_i32_u (local.get $arg)))
        (local.set $s (i32.add (local.get $s) (i32.shl (local.get $k) (i32.const 3))))
        (local.set $out (i32.add (local.get $out) (i32.const 8)))
        (br $l))))

    ;; Gradient of linear scores: out[c * d + j] = sum over rows i of r[i * k + c] * x[i * d + j]
  ;; (x: n x d, d even; r: n x k; out: k x d, overwritten). Rows go four at a time: their four
  ;; products are added together, in row order, and then to out (one read-modify-write of out per
  ;; four rows instead of per row); the last n mod 4 rows one at a time.
  (func (export "gradient")
    (param $x i32) (param $n i32) (param $d i32) (param $r i32) (param $k i32) (param $out i32)
    (local $i i32) (local $c i32) (local $j i32) (local $xr i32) (local $or i32) (local $rowBytes i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $rp i32) (local $n4 i32)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (local.get $k) (local.get $rowBytes)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $i (i32.const 0))
    (block $quadsDone
      (loop $quadLoop
        (br_if $quadsDone (i32.ge_u (local.get $i) (local.get $n4)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (local.set $or (local.get $out))
        (block $classesDone
          (loop $classLoop
            (br_if $classesDone (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $rp (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 3))))
            (local.set $r0 (v128.load64_splat (local.get $rp)))
            (local.set $rp (i32.add (local.get $rp) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $r1 (v128.load64_splat (local.get $rp)))
            (local.set $rp (i32.add (local.get $rp) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $r2 (v128.load64_splat (local.get $rp)))
            (local.set $rp (i32.add (local.get $rp) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $r3 (v128.load64_splat (local.get $rp)))
            (local.set $j (i32.const 0))
            (block $featuresDone
              (loop $featureLoop
                (br_if $featuresDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (local.set $rp (i32.add (local.get $xr) (local.get $j)))
                (v128.store (i32.add (local.get $or) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $or) (local.get $j)))
                    (f64x2.add
                      (f64x2.add
                        (f64x2.add
                          (f64x2.mul (local.get $r0) (v128.load (local.get $rp)))
                          (f64x2.mul (local.get $r1) (v128.load (i32.add (local.get $rp) (local.get $rowBytes)))))
                        (f64x2.mul (local.get $r2) (v128.load (i32.add (local.get $rp) (i32.shl (local.get $rowBytes) (i32.const 1))))))
                      (f64x2.mul (local.get $r3) (v128.load (i32.add (local.get $rp) (i32.mul (local.get $rowBytes) (i32.const 3))))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $featureLoop)))
            (local.set $or (i32.add (local.get $or) (local.get $rowBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classLoop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quadLoop)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $c (i32.const 0))
        (local.set $or (local.get $out))
        (block $classesDone1
          (loop $classLoop1
            (br_if $classesDone1 (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $r0 (v128.load64_splat (i32.add (local.get $r) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $c)) (i32.const 3)))))
            (local.set $j (i32.const 0))
            (block $featuresDone1
              (loop $featureLoop1
                (br_if $featuresDone1 (i32.ge_u (local.get $j) (local.get $rowBytes)))
                (v128.store (i32.add (local.get $or) (local.get $j))
                  (f64x2.add (v128.load (i32.add (local.get $or) (local.get $j)))
                    (f64x2.mul (local.get $r0) (v128.load (i32.add (local.get $xr) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $featureLoop1)))
            (local.set $or (i32.add (local.get $or) (local.get $rowBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classLoop1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowLoop))))

  ;; exp(x) for x <= 0 (lanes), x clamped to >= -746 (below, exp is 0): fdlibm's (e_exp.c:
  ;; x = k ln2 + r, |r| <= ln2 / 2, a rational approximation of exp(r), times 2^(k + 60) made from
  ;; k's bits, then 2^-60 so that subnormal results round once). Within an ulp of the exact value,
  ;; and the same bits on every machine (unlike Math.exp, whose implementation is the engine's).
  (func $expNeg (param $v v128) (result v128)
    (local $x v128) (local $k v128) (local $hi v128) (local $lo v128) (local $r v128) (local $t v128) (local $c v128)
    (local.set $x (f64x2.max (local.get $v) (v128.const f64x2 -746 -746)))
    (local.set $k (f64x2.nearest (f64x2.mul (local.get $x) (v128.const f64x2 1.44269504088896338700e+00 1.44269504088896338700e+00))))
    (local.set $hi (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))))
    (local.set $lo (f64x2.mul (local.get $k) (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10)))
    (local.set $r (f64x2.sub (local.get $hi) (local.get $lo)))
    (local.set $t (f64x2.mul (local.get $r) (local.get $r)))
    (local.set $c (f64x2.sub (local.get $r) (f64x2.mul (local.get $t)
      (f64x2.add (v128.const f64x2 1.66666666666666019037e-01 1.66666666666666019037e-01) (f64x2.mul (local.get $t)
        (f64x2.add (v128.const f64x2 -2.77777777770155933842e-03 -2.77777777770155933842e-03) (f64x2.mul (local.get $t)
          (f64x2.add (v128.const f64x2 6.61375632143793436117e-05 6.61375632143793436117e-05) (f64x2.mul (local.get $t)
            (f64x2.add (v128.const f64x2 -1.65339022054652515390e-06 -1.65339022054652515390e-06) (f64x2.mul (local.get $t) (v128.const f64x2 4.13813679705723846039e-08 4.13813679705723846039e-08))))))))))))
    (f64x2.mul (f64x2.mul
      (f64x2.sub (v128.const f64x2 1 1) (f64x2.sub (f64x2.sub (local.get $lo) (f64x2.div (f64x2.mul (local.get $r) (local.get $c)) (f64x2.sub (v128.const f64x2 2 2) (local.get $c)))) (local.get $hi)))
      (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k))) (v128.const i64x2 1083 1083)) (i32.const 52)))
      (v128.const f64x2 0x1p-60 0x1p-60)))

  ;; The binary logistic loss and residual of two scores s (lanes) against labels y (0 or 1):
  ;; loss = log(1 + exp(-|s|)) + max(s (1 - 2y), 0), residual = sigmoid(s) - y, with one exp
  ;; ($expNeg) and one log per score. log(1 + e), e in [0, 1], is fdlibm's log1p (s_log1p.c:
  ;; f = e below sqrt(2) - 1; above, u = 1 + e = 2 (1 + f) with the rounding error of u as a
  ;; correction), within an ulp or two. sigmoid(s) = 1 / (1 + e) for s >= 0, e / (1 + e) below
  ;; (never overflows).
  (func $logisticTerms (param $s v128) (param $y v128) (result v128 v128)
    (local $hi v128) (local $lo v128) (local $c v128)
    (local $e v128) (local $u v128) (local $q v128) (local $big v128) (local $f v128) (local $z v128) (local $w v128) (local $hfsq v128) (local $R v128) (local $kk v128)
    ;; e = exp(-|s|)
    (local.set $e (call $expNeg (f64x2.neg (f64x2.abs (local.get $s)))))
    ;; log(1 + e)
    (local.set $u (f64x2.add (v128.const f64x2 1 1) (local.get $e)))
    (local.set $q (f64x2.div (v128.const f64x2 1 1) (local.get $u)))
    (local.set $big (f64x2.ge (local.get $u) (v128.const f64x2 1.4142135623730951 1.4142135623730951)))
    (local.set $f (v128.bitselect (f64x2.sub (f64x2.mul (local.get $u) (v128.const f64x2 0.5 0.5)) (v128.const f64x2 1 1)) (local.get $e) (local.get $big)))
    (local.set $kk (v128.and (local.get $big) (v128.const f64x2 1 1)))
    (local.set $c (v128.and (local.get $big) (f64x2.mul (f64x2.sub (local.get $e) (f64x2.sub (local.get $u) (v128.const f64x2 1 1))) (local.get $q))))
    (local.set $hi (f64x2.div (local.get $f) (f64x2.add (v128.const f64x2 2 2) (local.get $f))))
    (local.set $z (f64x2.mul (local.get $hi) (local.get $hi)))
    (local.set $w (f64x2.mul (local.get $z) (local.get $z)))
    (local.set $R (f64x2.add
      (f64x2.mul (local.get $z) (f64x2.add (v128.const f64x2 6.666666666666735130e-01 6.666666666666735130e-01) (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 2.857142874366239149e-01 2.857142874366239149e-01) (f64x2.mul (local.get $w)
          (f64x2.add (v128.const f64x2 1.818357216161805012e-01 1.818357216161805012e-01) (f64x2.mul (local.get $w) (v128.const f64x2 1.479819860511658591e-01 1.479819860511658591e-01))))))))
      (f64x2.mul (local.get $w) (f64x2.add (v128.const f64x2 3.999999999940941908e-01 3.999999999940941908e-01) (f64x2.mul (local.get $w)
        (f64x2.add (v128.const f64x2 2.222219843214978396e-01 2.222219843214978396e-01) (f64x2.mul (local.get $w) (v128.const f64x2 1.531383769920937332e-01 1.531383769920937332e-01))))))))
    (local.set $hfsq (f64x2.mul (v128.const f64x2 0.5 0.5) (f64x2.mul (local.get $f) (local.get $f))))
    (local.set $lo (f64x2.sub
      (f64x2.mul (local.get $kk) (v128.const f64x2 6.93147180369123816490e-01 6.93147180369123816490e-01))
      (f64x2.sub
        (f64x2.sub (local.get $hfsq)
          (f64x2.add (f64x2.mul (local.get $hi) (f64x2.add (local.get $hfsq) (local.get $R)))
            (f64x2.add (f64x2.mul (local.get $kk) (v128.const f64x2 1.90821492927058770002e-10 1.90821492927058770002e-10)) (local.get $c))))
        (local.get $f))))
    ;; the loss, then the residual
    (f64x2.add (local.get $lo)
      (f64x2.max (f64x2.mul (local.get $s) (f64x2.sub (v128.const f64x2 1 1) (f64x2.add (local.get $y) (local.get $y)))) (v128.const f64x2 0 0)))
    (f64x2.sub
      (v128.bitselect (local.get $q) (f64x2.mul (local.get $e) (local.get $q)) (f64x2.ge (local.get $s) (v128.const f64x2 0 0)))
      (local.get $y)))

  ;; One evaluation of the binary logistic objective, without the penalty, in one pass over x:
  ;; n rows of x (n x d, d even) and of labels y (0 or 1, f64), both padded with zero rows to a
  ;; multiple of four; weights w (d) and the intercept b. Per row: s = b + x . w (summed as
  ;; `scores`), then the loss and residual r of $logisticTerms. Writes g[j] = sum of r x[., j]
  ;; (summed as `gradient`, four rows a step) and at $sums the sum of r; returns the summed loss.
  ;; The loss and r sums keep two lanes (rows 0 and 2 of every four, rows 1 and 3), added last.
  (func (export "logisticBinary")
    (param $x i32) (param $n i32) (param $d i32) (param $y i32) (param $w i32) (param $b f64) (param $g i32) (param $sums i32) (result f64)
    (local $i i32) (local $j i32) (local $xr i32) (local $o i32) (local $rowBytes i32)
    (local $wv v128) (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $s01 v128) (local $s23 v128) (local $l01 v128) (local $l23 v128) (local $r01 v128) (local $r23 v128)
    (local $idx01 v128) (local $idx23 v128) (local $nv v128) (local $lossAcc v128) (local $resAcc v128)
    (local $rv0 v128) (local $rv1 v128) (local $rv2 v128) (local $rv3 v128)
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (memory.fill (local.get $g) (i32.const 0) (local.get $rowBytes))
    (local.set $idx01 (v128.const f64x2 0 1))
    (local.set $idx23 (v128.const f64x2 2 3))
    (local.set $nv (f64x2.splat (f64.convert_i32_u (local.get $n))))
    (local.set $lossAcc (v128.const f64x2 0 0))
    (local.set $resAcc (v128.const f64x2 0 0))
    (local.set $i (i32.const 0))
    (block $quadsDone
      (loop $quadLoop
        (br_if $quadsDone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $acc0 (v128.const f64x2 0 0))
        (local.set $acc1 (v128.const f64x2 0 0))
        (local.set $acc2 (v128.const f64x2 0 0))
        (local.set $acc3 (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $featuresDone
          (loop $featureLoop
            (br_if $featuresDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $wv (v128.load (i32.add (local.get $w) (local.get $j))))
            (local.set $o (i32.add (local.get $xr) (local.get $j)))
            (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $acc2 (f64x2.add (local.get $acc2) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $acc3 (f64x2.add (local.get $acc3) (f64x2.mul (v128.load (local.get $o)) (local.get $wv))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $featureLoop)))
        (local.set $s01 (f64x2.replace_lane 1
          (f64x2.splat (f64.add (local.get $b) (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0)))))
          (f64.add (local.get $b) (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1))))))
        (local.set $s23 (f64x2.replace_lane 1
          (f64x2.splat (f64.add (local.get $b) (f64.add (f64x2.extract_lane 0 (local.get $acc2)) (f64x2.extract_lane 1 (local.get $acc2)))))
          (f64.add (local.get $b) (f64.add (f64x2.extract_lane 0 (local.get $acc3)) (f64x2.extract_lane 1 (local.get $acc3))))))
        (local.set $o (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 3))))
        (call $logisticTerms (local.get $s01) (v128.load (local.get $o)))
        (local.set $r01)
        (local.set $l01)
        (call $logisticTerms (local.get $s23) (v128.load offset=16 (local.get $o)))
        (local.set $r23)
        (local.set $l23)
        ;; rows past n (the padding of the last four) count for nothing
        (local.set $wv (f64x2.lt (local.get $idx01) (local.get $nv)))
        (local.set $r01 (v128.and (local.get $r01) (local.get $wv)))
        (local.set $l01 (v128.and (local.get $l01) (local.get $wv)))
        (local.set $wv (f64x2.lt (local.get $idx23) (local.get $nv)))
        (local.set $r23 (v128.and (local.get $r23) (local.get $wv)))
        (local.set $l23 (v128.and (local.get $l23) (local.get $wv)))
        (local.set $lossAcc (f64x2.add (f64x2.add (local.get $lossAcc) (local.get $l01)) (local.get $l23)))
        (local.set $resAcc (f64x2.add (f64x2.add (local.get $resAcc) (local.get $r01)) (local.get $r23)))
        (local.set $rv0 (f64x2.splat (f64x2.extract_lane 0 (local.get $r01))))
        (local.set $rv1 (f64x2.splat (f64x2.extract_lane 1 (local.get $r01))))
        (local.set $rv2 (f64x2.splat (f64x2.extract_lane 0 (local.get $r23))))
        (local.set $rv3 (f64x2.splat (f64x2.extract_lane 1 (local.get $r23))))
        (local.set $j (i32.const 0))
        (block $gradDone
          (loop $gradLoop
            (br_if $gradDone (i32.ge_u (local.get $j) (local.get $rowBytes)))
            (local.set $o (i32.add (local.get $xr) (local.get $j)))
            (v128.store (i32.add (local.get $g) (local.get $j))
              (f64x2.add (v128.load (i32.add (local.get $g) (local.get $j)))
                (f64x2.add
                  (f64x2.add
                    (f64x2.add
                      (f64x2.mul (local.get $rv0) (v128.load (local.get $o)))
                      (f64x2.mul (local.get $rv1) (v128.load (i32.add (local.get $o) (local.get $rowBytes)))))
                    (f64x2.mul (local.get $rv2) (v128.load (i32.add (local.get $o) (i32.shl (local.get $rowBytes) (i32.const 1))))))
                  (f64x2.mul (local.get $rv3) (v128.load (i32.add (local.get $o) (i32.mul (local.get $rowBytes) (i32.const 3))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $gradLoop)))
        (local.set $idx01 (f64x2.add (local.get $idx01) (v128.const f64x2 4 4)))
        (local.set $idx23 (f64x2.add (local.get $idx23) (v128.const f64x2 4 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quadLoop)))
    (f64.store (local.get $sums) (f64.add (f64x2.extract_lane 0 (local.get $resAcc)) (f64x2.extract_lane 1 (local.get $resAcc))))
    (f64.add (f64x2.extract_lane 0 (local.get $lossAcc)) (f64x2.extract_lane 1 (local.get $lossAcc))))

  ;; Sorts the n f64 at v ascending (no NaN; -0 before +0, as Float64Array.prototype.sort) by an
  ;; LSD radix sort of their bits on 11-bit digits: six passes through `tmp` (n f64 of scratch),
  ;; `counts` is 2048 i32 of scratch. Keys: negative numbers' bits inverted, positive numbers'
  ;; sign bit set, so that unsigned order is numeric order.
  (func (export "sortF64") (param $v i32) (param $n i32) (param $tmp i32) (param $counts i32)
    (local $i i32) (local $end i32) (local $key i64) (local $shift i64) (local $pass i32)
    (local $src i32) (local $dst i32) (local $t i32) (local $c i32) (local $sum i32) (local $digit i32)
    (local.set $end (i32.add (local.get $v) (i32.shl (local.get $n) (i32.const 3))))
    ;; to keys
    (local.set $i (local.get $v))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $key (i64.load (local.get $i)))
      (i64.store (local.get $i)
        (select
          (i64.xor (local.get $key) (i64.const -1))
          (i64.or (local.get $key) (i64.const 0x8000000000000000))
          (i64.lt_s (local.get $key) (i64.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l1)))
    (local.set $src (local.get $v))
    (local.set $dst (local.get $tmp))
    (local.set $pass (i32.const 0))
    (block $passesDone (loop $passLoop
      (br_if $passesDone (i32.ge_u (local.get $pass) (i32.const 6)))
      (local.set $shift (i64.extend_i32_u (i32.mul (local.get $pass) (i32.const 11))))
      (memory.fill (local.get $counts) (i32.const 0) (i32.const 8192))
      ;; count the digits
      (local.set $i (i32.const 0))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.add (local.get $counts) (i32.shl
          (i32.wrap_i64 (i64.and (i64.shr_u (i64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))) (local.get $shift)) (i64.const 2047)))
          (i32.const 2))))
        (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      ;; counts -> starting positions
      (local.set $sum (i32.const 0))
      (local.set $digit (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.ge_u (local.get $digit) (i32.const 2048)))
        (local.set $c (i32.add (local.get $counts) (i32.shl (local.get $digit) (i32.const 2))))
        (local.set $t (i32.load (local.get $c)))
        (i32.store (local.get $c) (local.get $sum))
        (local.set $sum (i32.add (local.get $sum) (local.get $t)))
        (local.set $digit (i32.add (local.get $digit) (i32.const 1)))
        (br $l3)))
      ;; scatter (stable)
      (local.set $i (i32.const 0))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $key (i64.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $c (i32.add (local.get $counts) (i32.shl
          (i32.wrap_i64 (i64.and (i64.shr_u (local.get $key) (local.get $shift)) (i64.const 2047)))
          (i32.const 2))))
        (local.set $t (i32.load (local.get $c)))
        (i32.store (local.get $c) (i32.add (local.get $t) (i32.const 1)))
        (i64.store (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 3))) (local.get $key))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l4)))
      (local.set $t (local.get $src))
      (local.set $src (local.get $dst))
      (local.set $dst (local.get $t))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br $passLoop)))
    ;; back from keys (after an even number of passes the data is in v again)
    (local.set $i (local.get $v))
    (block $d5 (loop $l5
      (br_if $d5 (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $key (i64.load (local.get $i)))
      (i64.store (local.get $i)
        (select
          (i64.and (local.get $key) (i64.const 0x7fffffffffffffff))
          (i64.xor (local.get $key) (i64.const -1))
          (i64.lt_s (local.get $key) (i64.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l5))))

  ;; Bins of one feature: for the n values x[i * stride] (f64), out[i] (u8) = 255 for NaN, else
  ;; the number of `edges` (255 f64, ascending, padded with +inf) below the value: the first bin
  ;; whose upper edge is >= it. A branch-free binary search of eight halvings.
  (func (export "binValues") (param $x i32) (param $n i32) (param $stride i32) (param $edges i32) (param $out i32)
    (local $i i32) (local $v f64) (local $pos i32) (local $step i32) (local $strideBytes i32)
    (local.set $strideBytes (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $v (f64.load (local.get $x)))
      (local.set $pos (i32.const 0))
      (local.set $step (i32.const 128))
      (block $found (loop $search
        (br_if $found (i32.eqz (local.get $step)))
        (local.set $pos
          (i32.add (local.get $pos)
            (select (local.get $step) (i32.const 0)
              (f64.lt
                (f64.load (i32.add (local.get $edges) (i32.shl (i32.sub (i32.add (local.get $pos) (local.get $step)) (i32.const 1)) (i32.const 3))))
                (local.get $v)))))
        (local.set $step (i32.shr_u (local.get $step) (i32.const 1)))
        (br $search)))
      (i32.store8 (i32.add (local.get $out) (local.get $i))
        (select (i32.const 255) (local.get $pos) (f64.ne (local.get $v) (local.get $v))))
      (local.set $x (i32.add (local.get $x) (local.get $strideBytes)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
)
