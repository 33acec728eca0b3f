;; The column statistics loops of src/core/stats.ts in WebAssembly, compiled at build time by
;; scripts/wasm.js into stats.generated.ts (base64). Each reads float64 values at $p (the
;; caller copies a block there) in order, so sums come out the same bits as the same loop in
;; JavaScript, whatever the block sizes.
(module
  (memory (export "memory") 1)

  ;; count, sum, min, max of the values that are not NaN, continued from and written back to
  ;; $st (four f64: count, sum, min, max).
  (func (export "moments") (param $p i32) (param $n i32) (param $st i32)
    (local $end i32) (local $v f64) (local $count f64) (local $sum f64) (local $min f64) (local $max f64)
    (local.set $count (f64.load (local.get $st)))
    (local.set $sum (f64.load offset=8 (local.get $st)))
    (local.set $min (f64.load offset=16 (local.get $st)))
    (local.set $max (f64.load offset=24 (local.get $st)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (f64.ne (local.get $v) (local.get $v)))
        (local.set $count (f64.add (local.get $count) (f64.const 1)))
        (local.set $sum (f64.add (local.get $sum) (local.get $v)))
        (if (f64.lt (local.get $v) (local.get $min)) (then (local.set $min (local.get $v))))
        (if (f64.gt (local.get $v) (local.get $max)) (then (local.set $max (local.get $v))))
        (br $values)))
    (f64.store (local.get $st) (local.get $count))
    (f64.store offset=8 (local.get $st) (local.get $sum))
    (f64.store offset=16 (local.get $st) (local.get $min))
    (f64.store offset=24 (local.get $st) (local.get $max)))

  ;; Adds the values (not NaN) to the histogram $counts (f64 counts, bins of width 1/$scale
  ;; from $min, the last bin taking the rest) and to the fine histogram $fine (the same with
  ;; $fineScale), and their squared deviations from $mean to the f64 at $ss.
  (func (export "histograms")
    (param $p i32) (param $n i32) (param $min f64) (param $scale f64) (param $mean f64)
    (param $counts i32) (param $last i32) (param $fine i32) (param $fineScale f64) (param $fineLast i32) (param $ss i32)
    (local $end i32) (local $v f64) (local $d f64) (local $acc f64) (local $b i32) (local $at i32)
    (local.set $acc (f64.load (local.get $ss)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (f64.ne (local.get $v) (local.get $v)))
        (local.set $d (f64.sub (local.get $v) (local.get $mean)))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $d) (local.get $d))))
        (local.set $d (f64.sub (local.get $v) (local.get $min)))
        (local.set $b (i32.trunc_sat_f64_s (f64.mul (local.get $d) (local.get $scale))))
        (local.set $at (i32.add (local.get $counts) (i32.shl (select (local.get $last) (local.get $b) (i32.gt_s (local.get $b) (local.get $last))) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.const 1)))
        (local.set $b (i32.trunc_sat_f64_s (f64.mul (local.get $d) (local.get $fineScale))))
        (local.set $at (i32.add (local.get $fine) (i32.shl (select (local.get $fineLast) (local.get $b) (i32.gt_s (local.get $b) (local.get $fineLast))) (i32.const 3))))
        (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (f64.const 1)))
        (br $values)))
    (f64.store (local.get $ss) (local.get $acc)))

  ;; Copies each value (not NaN) whose fine bin f has $wanted[f] = s >= 0 to the address in
  ;; $slots[s] (i32), which then moves on by 8.
  (func (export "collect")
    (param $p i32) (param $n i32) (param $min f64) (param $fineScale f64) (param $fineLast i32) (param $wanted i32) (param $slots i32)
    (local $end i32) (local $v f64) (local $b i32) (local $s i32) (local $at i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (f64.ne (local.get $v) (local.get $v)))
        (local.set $b (i32.trunc_sat_f64_s (f64.mul (f64.sub (local.get $v) (local.get $min)) (local.get $fineScale))))
        (local.set $s (i32.load (i32.add (local.get $wanted) (i32.shl (select (local.get $fineLast) (local.get $b) (i32.gt_s (local.get $b) (local.get $fineLast))) (i32.const 2)))))
        (br_if $values (i32.lt_s (local.get $s) (i32.const 0)))
        (local.set $at (i32.load (i32.add (local.get $slots) (i32.shl (local.get $s) (i32.const 2)))))
        (f64.store (local.get $at) (local.get $v))
        (i32.store (i32.add (local.get $slots) (i32.shl (local.get $s) (i32.const 2))) (i32.add (local.get $at) (i32.const 8)))
        (br $values)))
  )

  ;; HyperLogLog: adds the values (not NaN; -0 as 0) to the 4096 registers (u8) at $regs, with
  ;; the hash of stats.ts hashF64 (murmur3's finaliser of low ^ high * 0x9e3779b1).
  (func (export "hll") (param $p i32) (param $n i32) (param $regs i32)
    (local $end i32) (local $v f64) (local $h i32) (local $idx i32) (local $rank i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (f64.load (local.get $p)))
        (if (f64.eq (local.get $v) (f64.const 0))
          (then (local.set $h (i32.const 0)))
          (else (local.set $h (i32.xor (i32.load (local.get $p)) (i32.mul (i32.load offset=4 (local.get $p)) (i32.const 0x9e3779b1))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br_if $values (f64.ne (local.get $v) (local.get $v)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        ;; a second mix, as HyperLogLog.add does to the hash it is given
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $idx (i32.add (local.get $regs) (i32.shr_u (local.get $h) (i32.const 20))))
        (local.set $rank (i32.add (i32.clz (i32.or (i32.shl (local.get $h) (i32.const 12)) (i32.const 0x800))) (i32.const 1)))
        (if (i32.gt_u (local.get $rank) (i32.load8_u (local.get $idx)))
          (then (i32.store8 (local.get $idx) (local.get $rank))))
        (br $values)))
  )

  ;; Exact distinct counting (stats.ts DistinctCounter): inserts the values (not NaN; -0 as 0)
  ;; into the open-addressing table of f64 at $table ($mask + 1 slots, NaN for empty, linear
  ;; probing from hashF64's bits), counting new ones in the i32 at $count. Stops after the
  ;; value that takes the count past $cap or the table past half full; returns how many
  ;; values it took.
  (func (export "distinct") (param $p i32) (param $n i32) (param $table i32) (param $mask i32) (param $cap i32) (param $count i32) (result i32)
    (local $i i32) (local $v f64) (local $h i32) (local $slot i32) (local $t f64) (local $c i32) (local $half i32)
    (local.set $c (i32.load (local.get $count)))
    (local.set $half (i32.shr_u (i32.add (local.get $mask) (i32.const 1)) (i32.const 1)))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (f64.load (local.get $p)))
        (if (f64.eq (local.get $v) (f64.const 0))
          (then (local.set $h (i32.const 0)))
          (else (local.set $h (i32.xor (i32.load (local.get $p)) (i32.mul (i32.load offset=4 (local.get $p)) (i32.const 0x9e3779b1))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $values (f64.ne (local.get $v) (local.get $v)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
        (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
        (local.set $slot (i32.and (local.get $h) (local.get $mask)))
        (block $placed
          (loop $probe
            (local.set $t (f64.load (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 3)))))
            (br_if $placed (f64.eq (local.get $t) (local.get $v)))
            (if (f64.ne (local.get $t) (local.get $t))
              (then
                (f64.store (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 3))) (local.get $v))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (br_if $done (i32.or (i32.gt_u (local.get $c) (local.get $cap)) (i32.gt_u (local.get $c) (local.get $half))))
                (br $placed)))
            (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
            (br $probe)))
        (br $values)))
    (i32.store (local.get $count) (local.get $c))
    (local.get $i))
)
