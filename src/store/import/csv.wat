;; The CSV tokenizer of src/store/import/csv.ts in WebAssembly, compiled at build time by
;; scripts/wasm.js into csv.generated.ts (base64). Unquoted fields are scanned sixteen bytes at
;; a time (SIMD). One call parses one record; the JavaScript side keeps the header, ragged row
;; and error handling. `batch` parses many records of a known width in one call; `values` then
;; reads one column of such a batch as numbers or dates, in the same way as core/values.ts.
(module
  (memory (export "memory") 1)

  ;; Parses the record at state[0] (a byte offset from $buf) in the bytes [$buf, $end), the same
  ;; way as RFC 4180: fields end at $delim, LF or CR (CRLF is one line end); a field that starts
  ;; with a quote runs to the next lone quote ("" is a quote, flagged 2), may hold delimiters and
  ;; line breaks, and must be followed by a delimiter or a line end. Blank lines are skipped.
  ;; Field k goes to starts[k], ends[k] (i32, offsets from $buf) and flags[k] (u8: 1 quoted,
  ;; 2 doubled quotes inside).
  ;; state (i32s): 0 position, 1 line, 2 the line the returned record starts on.
  ;; Returns the number of fields, or:
  ;;   -1: no complete record in the bytes (need more, unless $last: then the end);
  ;;   -2: a quoted field never closes (state[2]: its record's line);
  ;;   -3: text after a closing quote (state[2]: the line of that text);
  ;;   -4: more than $cap fields.
  ;; Without $last a record that reaches $end is incomplete: nothing is consumed.
  (func $next (export "next")
    (param $buf i32) (param $end i32) (param $last i32) (param $delim i32) (param $st i32)
    (param $starts i32) (param $ends i32) (param $flags i32) (param $cap i32) (result i32)
    (local $i i32) (local $line i32) (local $recStart i32) (local $recLine i32)
    (local $nf i32) (local $fs i32) (local $fe i32) (local $fl i32) (local $c i32)
    (local $v v128) (local $dv v128) (local $m i32)
    (local.set $dv (i8x16.splat (local.get $delim)))
    (local.set $i (i32.add (local.get $buf) (i32.load (local.get $st))))
    (local.set $line (i32.load offset=4 (local.get $st)))
    (block $done
      (loop $records
        (if (i32.ge_u (local.get $i) (local.get $end))
          (then
            (local.set $nf (i32.const -1))
            (br $done)))
        (local.set $recStart (local.get $i))
        (local.set $recLine (local.get $line))
        (local.set $nf (i32.const 0))
        (block $incomplete
          (block $complete
            (loop $fields
              (if (i32.ge_u (local.get $nf) (local.get $cap))
                (then
                  (local.set $nf (i32.const -4))
                  (i32.store offset=8 (local.get $st) (local.get $recLine))
                  (local.set $i (local.get $recStart))
                  (local.set $line (local.get $recLine))
                  (br $done)))
              (local.set $fl (i32.const 0))
              (if (i32.and (i32.lt_u (local.get $i) (local.get $end)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 34)))
                (then
                  (local.set $fl (i32.const 1))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $fs (local.get $i))
                  (block $closed
                    (loop $quoted
                      (block $atQuote
                        (loop $scan
                          (br_if $atQuote (i32.ge_u (local.get $i) (local.get $end)))
                          (local.set $c (i32.load8_u (local.get $i)))
                          (br_if $atQuote (i32.eq (local.get $c) (i32.const 34)))
                          (local.set $line (i32.add (local.get $line) (i32.eq (local.get $c) (i32.const 10))))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (br $scan)))
                      (if (i32.ge_u (local.get $i) (local.get $end))
                        (then
                          (br_if $incomplete (i32.eqz (local.get $last)))
                          (local.set $nf (i32.const -2))
                          (i32.store offset=8 (local.get $st) (local.get $recLine))
                          (local.set $i (local.get $recStart))
                          (local.set $line (local.get $recLine))
                          (br $done)))
                      (if (i32.and (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $end)) (i32.eq (i32.load8_u offset=1 (local.get $i)) (i32.const 34)))
                        (then
                          (local.set $fl (i32.or (local.get $fl) (i32.const 2)))
                          (local.set $i (i32.add (local.get $i) (i32.const 2)))
                          (br $quoted)))
                      (br_if $incomplete (i32.and (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $end)) (i32.eqz (local.get $last))))
                      (local.set $fe (local.get $i))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))))
                  (if (i32.lt_u (local.get $i) (local.get $end))
                    (then
                      (local.set $c (i32.load8_u (local.get $i)))
                      (if (i32.and (i32.and (i32.ne (local.get $c) (local.get $delim)) (i32.ne (local.get $c) (i32.const 10))) (i32.ne (local.get $c) (i32.const 13)))
                        (then
                          (local.set $nf (i32.const -3))
                          (i32.store offset=8 (local.get $st) (local.get $line))
                          (local.set $i (local.get $recStart))
                          (local.set $line (local.get $recLine))
                          (br $done))))))
                (else
                  (local.set $fs (local.get $i))
                  (block $fieldEnd
                    ;; sixteen bytes at a time while they are all before $end: the mask of the
                    ;; bytes that end a field, then the first of them
                    (block $scalar
                      (loop $scanV
                        (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
                        (local.set $v (v128.load (local.get $i)))
                        (local.set $m (i8x16.bitmask
                          (v128.or
                            (v128.or (i8x16.eq (local.get $v) (local.get $dv)) (i8x16.eq (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))
                            (i8x16.eq (local.get $v) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13)))))
                        (if (local.get $m)
                          (then
                            (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $m))))
                            (br $fieldEnd)))
                        (local.set $i (i32.add (local.get $i) (i32.const 16)))
                        (br $scanV)))
                    (loop $scanU
                      (br_if $fieldEnd (i32.ge_u (local.get $i) (local.get $end)))
                      (local.set $c (i32.load8_u (local.get $i)))
                      (br_if $fieldEnd (i32.eq (local.get $c) (local.get $delim)))
                      (br_if $fieldEnd (i32.eq (local.get $c) (i32.const 10)))
                      (br_if $fieldEnd (i32.eq (local.get $c) (i32.const 13)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $scanU)))
                  (br_if $incomplete (i32.and (i32.ge_u (local.get $i) (local.get $end)) (i32.eqz (local.get $last))))
                  (local.set $fe (local.get $i))))
              (i32.store (i32.add (local.get $starts) (i32.shl (local.get $nf) (i32.const 2))) (i32.sub (local.get $fs) (local.get $buf)))
              (i32.store (i32.add (local.get $ends) (i32.shl (local.get $nf) (i32.const 2))) (i32.sub (local.get $fe) (local.get $buf)))
              (i32.store8 (i32.add (local.get $flags) (local.get $nf)) (local.get $fl))
              (local.set $nf (i32.add (local.get $nf) (i32.const 1)))
              (br_if $complete (i32.ge_u (local.get $i) (local.get $end)))
              (local.set $c (i32.load8_u (local.get $i)))
              (if (i32.eq (local.get $c) (local.get $delim))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (if (i32.ge_u (local.get $i) (local.get $end))
                    (then
                      ;; a delimiter last in the file: one more, empty field
                      (br_if $incomplete (i32.eqz (local.get $last)))
                      (if (i32.ge_u (local.get $nf) (local.get $cap))
                        (then
                          (local.set $nf (i32.const -4))
                          (i32.store offset=8 (local.get $st) (local.get $recLine))
                          (local.set $i (local.get $recStart))
                          (local.set $line (local.get $recLine))
                          (br $done)))
                      (i32.store (i32.add (local.get $starts) (i32.shl (local.get $nf) (i32.const 2))) (i32.sub (local.get $i) (local.get $buf)))
                      (i32.store (i32.add (local.get $ends) (i32.shl (local.get $nf) (i32.const 2))) (i32.sub (local.get $i) (local.get $buf)))
                      (i32.store8 (i32.add (local.get $flags) (local.get $nf)) (i32.const 0))
                      (local.set $nf (i32.add (local.get $nf) (i32.const 1)))
                      (br $complete)))
                  (br $fields)))
              (if (i32.eq (local.get $c) (i32.const 13))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (if (i32.and (i32.lt_u (local.get $i) (local.get $end)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 10)))
                    (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
                    (else (br_if $incomplete (i32.and (i32.ge_u (local.get $i) (local.get $end)) (i32.eqz (local.get $last)))))))
                (else (local.set $i (i32.add (local.get $i) (i32.const 1)))))
              (local.set $line (i32.add (local.get $line) (i32.const 1)))))
          ;; complete: a blank line (one empty unquoted field) is skipped
          (br_if $records (i32.and (i32.eq (local.get $nf) (i32.const 1)) (i32.and (i32.eq (local.get $fs) (local.get $fe)) (i32.eqz (local.get $fl)))))
          (i32.store offset=8 (local.get $st) (local.get $recLine))
          (br $done))
        ;; incomplete: nothing consumed
        (local.set $i (local.get $recStart))
        (local.set $line (local.get $recLine))
        (local.set $nf (i32.const -1))))
    (i32.store (local.get $st) (i32.sub (local.get $i) (local.get $buf)))
    (i32.store offset=4 (local.get $st) (local.get $line))
    (local.get $nf))

  ;; Parses up to $max records of exactly $width fields each: record r's fields go to
  ;; starts/ends/flags at r * $width, its first line to lines[r]. Stops before a record that is
  ;; incomplete, an error, or of another width (nothing of it consumed: a call to `next` then
  ;; reports it). Returns the number of records parsed.
  (func (export "batch")
    (param $buf i32) (param $end i32) (param $last i32) (param $delim i32) (param $st i32)
    (param $starts i32) (param $ends i32) (param $flags i32) (param $lines i32)
    (param $width i32) (param $max i32) (result i32)
    (local $r i32) (local $pos i32) (local $line i32) (local $nf i32) (local $at i32)
    (block $stop
      (loop $records
        (br_if $stop (i32.ge_u (local.get $r) (local.get $max)))
        (local.set $pos (i32.load (local.get $st)))
        (local.set $line (i32.load offset=4 (local.get $st)))
        (local.set $at (i32.mul (local.get $r) (local.get $width)))
        (local.set $nf (call $next (local.get $buf) (local.get $end) (local.get $last) (local.get $delim) (local.get $st)
          (i32.add (local.get $starts) (i32.shl (local.get $at) (i32.const 2)))
          (i32.add (local.get $ends) (i32.shl (local.get $at) (i32.const 2)))
          (i32.add (local.get $flags) (local.get $at))
          (local.get $width)))
        (if (i32.ne (local.get $nf) (local.get $width))
          (then
            (i32.store (local.get $st) (local.get $pos))
            (i32.store offset=4 (local.get $st) (local.get $line))
            (br $stop)))
        (i32.store (i32.add (local.get $lines) (i32.shl (local.get $r) (i32.const 2))) (i32.load offset=8 (local.get $st)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $records)))
    (local.get $r))

  ;; Powers of ten 1e0..1e22 (all exact in float64) at POW10, filled at instantiation.
  (global $POW10 i32 (i32.const 1024))
  (func $init
    (local $k i32) (local $p f64)
    (local.set $p (f64.const 1))
    (loop $fill
      (f64.store (i32.add (global.get $POW10) (i32.shl (local.get $k) (i32.const 3))) (local.get $p))
      (local.set $p (f64.mul (local.get $p) (f64.const 10)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $fill (i32.le_u (local.get $k) (i32.const 22)))))
  (start $init)

  ;; Lower-case ASCII.
  (func $lower (param $c i32) (result i32)
    (select (i32.add (local.get $c) (i32.const 32)) (local.get $c)
      (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))))

  ;; True when [$a, $b) (trimmed, 1 to 4 bytes) is NA, N/A, null, NaN or ? (any case).
  (func $isMissing (param $a i32) (param $b i32) (result i32)
    (local $len i32) (local $c0 i32) (local $c1 i32) (local $c2 i32)
    (local.set $len (i32.sub (local.get $b) (local.get $a)))
    (if (i32.eq (local.get $len) (i32.const 1))
      (then (return (i32.eq (i32.load8_u (local.get $a)) (i32.const 63)))))
    (local.set $c0 (call $lower (i32.load8_u (local.get $a))))
    (local.set $c1 (call $lower (i32.load8_u offset=1 (local.get $a))))
    (if (i32.eq (local.get $len) (i32.const 2))
      (then (return (i32.and (i32.eq (local.get $c0) (i32.const 110)) (i32.eq (local.get $c1) (i32.const 97))))))
    (local.set $c2 (call $lower (i32.load8_u offset=2 (local.get $a))))
    (if (i32.eq (local.get $len) (i32.const 3))
      (then (return (i32.and (i32.eq (local.get $c0) (i32.const 110))
        (i32.or
          (i32.and (i32.eq (local.get $c1) (i32.const 47)) (i32.eq (local.get $c2) (i32.const 97)))
          (i32.and (i32.eq (local.get $c1) (i32.const 97)) (i32.eq (local.get $c2) (i32.const 110))))))))
    (i32.and
      (i32.and (i32.eq (local.get $c0) (i32.const 110)) (i32.eq (local.get $c1) (i32.const 117)))
      (i32.and (i32.eq (local.get $c2) (i32.const 108)) (i32.eq (call $lower (i32.load8_u offset=3 (local.get $a))) (i32.const 108)))))

  ;; The decimal number in [$a, $b) (trimmed, non-empty), as core/values.ts parseNumberBytes
  ;; computes it on its exact fast path (a power of ten within 1e22, and here at most 15
  ;; digits in all, so at most 15 significant ones): the value, and in $st (offset 20) 1 for a
  ;; fraction or an exponent. NaN when the bytes are not a number or need the slow path (the
  ;; caller hands those to JavaScript, which gives the same value for what is read here).
  (func $number (param $a i32) (param $b i32) (param $st i32) (result f64)
    (local $i i32) (local $c i32) (local $neg i32) (local $mant i64) (local $d0 i32) (local $dot i32)
    (local $ndig i32) (local $fracDigits i32) (local $exp i32) (local $eneg i32) (local $e0 i32) (local $e10 i32)
    (local $v f64)
    (local.set $i (local.get $a))
    (local.set $c (i32.load8_u (local.get $i)))
    (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
      (then
        (local.set $neg (i32.eq (local.get $c) (i32.const 45)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    ;; digits with at most one point among them ($mant wraps past 19 digits: then the slow path)
    (local.set $d0 (local.get $i))
    (local.set $dot (i32.const -1))
    (block $digitsEnd
      (loop $digits
        (br_if $digitsEnd (i32.ge_u (local.get $i) (local.get $b)))
        (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
        (if (i32.le_u (local.get $c) (i32.const 9))
          (then
            (local.set $mant (i64.add (i64.mul (local.get $mant) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $digits)))
        ;; '.' is 46, so $c is -2
        (br_if $digitsEnd (i32.or (i32.ne (local.get $c) (i32.const -2)) (i32.ge_s (local.get $dot) (i32.const 0))))
        (local.set $dot (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $digits)))
    (local.set $ndig (i32.sub (i32.sub (local.get $i) (local.get $d0)) (i32.ge_s (local.get $dot) (i32.const 0))))
    (if (i32.eqz (local.get $ndig)) (then (return (f64.const nan))))
    (if (i32.ge_s (local.get $dot) (i32.const 0))
      (then (local.set $fracDigits (i32.sub (i32.sub (local.get $i) (local.get $dot)) (i32.const 1)))))
    (if (i32.lt_u (local.get $i) (local.get $b))
      (then
        (if (i32.ne (i32.or (i32.load8_u (local.get $i)) (i32.const 32)) (i32.const 101)) (then (return (f64.const nan))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.lt_u (local.get $i) (local.get $b))
          (then
            (local.set $c (i32.load8_u (local.get $i)))
            (if (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 43)))
              (then
                (local.set $eneg (i32.eq (local.get $c) (i32.const 45)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
        (local.set $e0 (local.get $i))
        (block $expEnd
          (loop $expLoop
            (br_if $expEnd (i32.ge_u (local.get $i) (local.get $b)))
            (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
            (br_if $expEnd (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $exp (i32.add (i32.mul (local.get $exp) (i32.const 10)) (local.get $c)))
            (if (i32.gt_s (local.get $exp) (i32.const 100000)) (then (local.set $exp (i32.const 100000))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $expLoop)))
        (if (i32.or (i32.eq (local.get $i) (local.get $e0)) (i32.ne (local.get $i) (local.get $b))) (then (return (f64.const nan))))
        (if (local.get $eneg) (then (local.set $exp (i32.sub (i32.const 0) (local.get $exp)))))
        (local.set $dot (i32.const 0))))
    (local.set $e10 (i32.sub (local.get $exp) (local.get $fracDigits)))
    ;; the slow path is JavaScript's
    (if (i32.or (i32.gt_u (local.get $ndig) (i32.const 15)) (i32.gt_u (i32.add (local.get $e10) (i32.const 22)) (i32.const 44)))
      (then (return (f64.const nan))))
    (local.set $v (f64.convert_i64_u (local.get $mant)))
    (if (i32.ge_s (local.get $e10) (i32.const 0))
      (then (local.set $v (f64.mul (local.get $v) (f64.load (i32.add (global.get $POW10) (i32.shl (local.get $e10) (i32.const 3)))))))
      (else (local.set $v (f64.div (local.get $v) (f64.load (i32.add (global.get $POW10) (i32.shl (i32.sub (i32.const 0) (local.get $e10)) (i32.const 3))))))))
    ;; a point or an exponent: not whole-number syntax
    (if (i32.ge_s (local.get $dot) (i32.const 0)) (then (i32.store offset=20 (local.get $st) (i32.const 1))))
    (select (f64.neg (local.get $v)) (local.get $v) (local.get $neg)))

  ;; $n decimal digits at $i, all before $b: their value, or -1.
  (func $digitsAt (param $i i32) (param $n i32) (param $b i32) (result i32)
    (local $v i32) (local $c i32) (local $end i32)
    (local.set $end (i32.add (local.get $i) (local.get $n)))
    (if (i32.gt_u (local.get $end) (local.get $b)) (then (return (i32.const -1))))
    (block $done
      (loop $d
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
        (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const -1))))
        (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $d)))
    (local.get $v))

  ;; The ISO 8601 date or date-time in [$a, $b) (trimmed), as epoch milliseconds, the same way
  ;; as core/values.ts parseDateBytes; NaN when it is not one.
  (func $date (param $a i32) (param $b i32) (result f64)
    (local $sep i32) (local $y i32) (local $mo i32) (local $d i32) (local $dim i32)
    (local $h i32) (local $mi i32) (local $s i32) (local $ms i32) (local $offset i32) (local $i i32)
    (local $f0 i32) (local $frac i32) (local $scale i32) (local $c i32) (local $oh i32) (local $om i32)
    (local $yy i32) (local $era i32) (local $yoe i32) (local $doy i32) (local $days i32)
    (if (i32.lt_s (i32.sub (local.get $b) (local.get $a)) (i32.const 10)) (then (return (f64.const nan))))
    (local.set $sep (i32.load8_u offset=4 (local.get $a)))
    (if (i32.or (i32.and (i32.ne (local.get $sep) (i32.const 45)) (i32.ne (local.get $sep) (i32.const 47)))
          (i32.ne (i32.load8_u offset=7 (local.get $a)) (local.get $sep)))
      (then (return (f64.const nan))))
    (local.set $y (call $digitsAt (local.get $a) (i32.const 4) (local.get $b)))
    (local.set $mo (call $digitsAt (i32.add (local.get $a) (i32.const 5)) (i32.const 2) (local.get $b)))
    (local.set $d (call $digitsAt (i32.add (local.get $a) (i32.const 8)) (i32.const 2) (local.get $b)))
    (if (i32.or (i32.or (i32.lt_s (local.get $y) (i32.const 0)) (i32.lt_s (local.get $mo) (i32.const 1)))
          (i32.or (i32.gt_s (local.get $mo) (i32.const 12)) (i32.lt_s (local.get $d) (i32.const 1))))
      (then (return (f64.const nan))))
    ;; days in the month: 28 + (0x3bbeecc >> 2*mo) & 3 (31 28 31 30 31 30 31 31 30 31 30 31), 29 for a leap February
    (local.set $dim (i32.add (i32.const 28) (i32.and (i32.shr_u (i32.const 0x3bbeecc) (i32.shl (local.get $mo) (i32.const 1))) (i32.const 3))))
    (if (i32.and (i32.eq (local.get $mo) (i32.const 2))
          (i32.or
            (i32.and (i32.eqz (i32.rem_u (local.get $y) (i32.const 4))) (i32.ne (i32.rem_u (local.get $y) (i32.const 100)) (i32.const 0)))
            (i32.eqz (i32.rem_u (local.get $y) (i32.const 400)))))
      (then (local.set $dim (i32.const 29))))
    (if (i32.gt_s (local.get $d) (local.get $dim)) (then (return (f64.const nan))))
    (local.set $i (i32.add (local.get $a) (i32.const 10)))
    (if (i32.lt_u (local.get $i) (local.get $b))
      (then
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.and (i32.ne (local.get $c) (i32.const 84)) (i32.ne (local.get $c) (i32.const 32))) (then (return (f64.const nan))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.or (i32.lt_s (i32.sub (local.get $b) (local.get $i)) (i32.const 5)) (i32.ne (i32.load8_u offset=2 (local.get $i)) (i32.const 58)))
          (then (return (f64.const nan))))
        (local.set $h (call $digitsAt (local.get $i) (i32.const 2) (local.get $b)))
        (local.set $mi (call $digitsAt (i32.add (local.get $i) (i32.const 3)) (i32.const 2) (local.get $b)))
        (if (i32.or (i32.or (i32.lt_s (local.get $h) (i32.const 0)) (i32.gt_s (local.get $h) (i32.const 23)))
              (i32.or (i32.lt_s (local.get $mi) (i32.const 0)) (i32.gt_s (local.get $mi) (i32.const 59))))
          (then (return (f64.const nan))))
        (local.set $i (i32.add (local.get $i) (i32.const 5)))
        (if (i32.and (i32.lt_u (local.get $i) (local.get $b)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 58)))
          (then
            (local.set $s (call $digitsAt (i32.add (local.get $i) (i32.const 1)) (i32.const 2) (local.get $b)))
            (if (i32.or (i32.lt_s (local.get $s) (i32.const 0)) (i32.gt_s (local.get $s) (i32.const 59))) (then (return (f64.const nan))))
            (local.set $i (i32.add (local.get $i) (i32.const 3)))
            (if (i32.and (i32.lt_u (local.get $i) (local.get $b)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 46)))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $f0 (local.get $i))
                (local.set $scale (i32.const 1))
                (block $fracEnd
                  (loop $fracLoop
                    (br_if $fracEnd (i32.ge_u (local.get $i) (local.get $b)))
                    (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
                    (br_if $fracEnd (i32.gt_u (local.get $c) (i32.const 9)))
                    (if (i32.lt_u (i32.sub (local.get $i) (local.get $f0)) (i32.const 3))
                      (then
                        (local.set $frac (i32.add (i32.mul (local.get $frac) (i32.const 10)) (local.get $c)))
                        (local.set $scale (i32.mul (local.get $scale) (i32.const 10)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $fracLoop)))
                (if (i32.eq (local.get $i) (local.get $f0)) (then (return (f64.const nan))))
                (local.set $ms (i32.mul (local.get $frac) (i32.div_u (i32.const 1000) (local.get $scale))))))))
        (if (i32.lt_u (local.get $i) (local.get $b))
          (then
            (local.set $c (i32.load8_u (local.get $i)))
            (if (i32.and (i32.eq (local.get $c) (i32.const 90)) (i32.eq (i32.add (local.get $i) (i32.const 1)) (local.get $b)))
              (then (local.set $i (local.get $b)))
              (else
                (if (i32.and (i32.or (i32.eq (local.get $c) (i32.const 43)) (i32.eq (local.get $c) (i32.const 45)))
                      (i32.and (i32.eq (i32.sub (local.get $b) (local.get $i)) (i32.const 6)) (i32.eq (i32.load8_u offset=3 (local.get $i)) (i32.const 58))))
                  (then
                    (local.set $oh (call $digitsAt (i32.add (local.get $i) (i32.const 1)) (i32.const 2) (local.get $b)))
                    (local.set $om (call $digitsAt (i32.add (local.get $i) (i32.const 4)) (i32.const 2) (local.get $b)))
                    (if (i32.or (i32.lt_s (local.get $oh) (i32.const 0)) (i32.lt_s (local.get $om) (i32.const 0))) (then (return (f64.const nan))))
                    (local.set $offset (i32.add (i32.mul (local.get $oh) (i32.const 60)) (local.get $om)))
                    (if (i32.eq (local.get $c) (i32.const 45)) (then (local.set $offset (i32.sub (i32.const 0) (local.get $offset))))))
                  (else (return (f64.const nan))))))))))
    ;; days from 1970-01-01 (Howard Hinnant's days_from_civil, floor division for year -1)
    (local.set $yy (i32.sub (local.get $y) (i32.le_u (local.get $mo) (i32.const 2))))
    (local.set $era (i32.div_s (select (local.get $yy) (i32.sub (local.get $yy) (i32.const 399)) (i32.ge_s (local.get $yy) (i32.const 0))) (i32.const 400)))
    (local.set $yoe (i32.sub (local.get $yy) (i32.mul (local.get $era) (i32.const 400))))
    (local.set $doy (i32.sub (i32.add (i32.div_u (i32.add (i32.mul (i32.const 153)
      (i32.add (local.get $mo) (select (i32.const -3) (i32.const 9) (i32.gt_u (local.get $mo) (i32.const 2))))) (i32.const 2)) (i32.const 5))
      (local.get $d)) (i32.const 1)))
    (local.set $days (i32.sub (i32.add (i32.mul (local.get $era) (i32.const 146097))
      (i32.add (i32.sub (i32.add (i32.mul (local.get $yoe) (i32.const 365)) (i32.div_u (local.get $yoe) (i32.const 4))) (i32.div_u (local.get $yoe) (i32.const 100))) (local.get $doy)))
      (i32.const 719468)))
    (f64.add
      (f64.mul (f64.convert_i32_s (local.get $days)) (f64.const 86400000))
      (f64.convert_i32_s (i32.add (i32.mul (i32.add (i32.mul (i32.sub (i32.add (i32.mul (local.get $h) (i32.const 60)) (local.get $mi)) (local.get $offset)) (i32.const 60)) (local.get $s)) (i32.const 1000)) (local.get $ms)))))

  ;; Reads column $col of records [$from, $to) of a batch as numbers ($kind 0) or dates
  ;; ($kind 1) into out[r] (float64), missing markers (empty, NA, N/A, null, NaN, ?; spaces
  ;; and tabs trimmed) as NaN. Stops at the first field it cannot read (not a number or date,
  ;; doubled quotes, or a number for the slow path) and returns its record index ($to when
  ;; all were read). Adds the missing values to state offset 16 (i32) and sets offset 20 to 1
  ;; when a number has a fraction or an exponent.
  (func (export "values")
    (param $kind i32) (param $buf i32) (param $starts i32) (param $ends i32) (param $flags i32)
    (param $width i32) (param $col i32) (param $from i32) (param $to i32) (param $out i32) (param $st i32) (result i32)
    (local $r i32) (local $at i32) (local $a i32) (local $b i32) (local $c i32) (local $x f64) (local $missing i32)
    (local.set $r (local.get $from))
    (local.set $at (i32.add (i32.mul (local.get $from) (local.get $width)) (local.get $col)))
    (block $stop
      (loop $records
        (br_if $stop (i32.ge_u (local.get $r) (local.get $to)))
        (br_if $stop (i32.and (i32.load8_u (i32.add (local.get $flags) (local.get $at))) (i32.const 2)))
        (local.set $a (i32.add (local.get $buf) (i32.load (i32.add (local.get $starts) (i32.shl (local.get $at) (i32.const 2))))))
        (local.set $b (i32.add (local.get $buf) (i32.load (i32.add (local.get $ends) (i32.shl (local.get $at) (i32.const 2))))))
        (block $trimmed
          (loop $left
            (br_if $trimmed (i32.ge_u (local.get $a) (local.get $b)))
            (local.set $c (i32.load8_u (local.get $a)))
            (br_if $trimmed (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9))))
            (local.set $a (i32.add (local.get $a) (i32.const 1)))
            (br $left)))
        (block $trimmedR
          (loop $right
            (br_if $trimmedR (i32.le_u (local.get $b) (local.get $a)))
            (local.set $c (i32.load8_u (i32.sub (local.get $b) (i32.const 1))))
            (br_if $trimmedR (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9))))
            (local.set $b (i32.sub (local.get $b) (i32.const 1)))
            (br $right)))
        ;; (every missing marker but the empty one starts with n, N or ?)
        (if (if (result i32) (i32.eq (local.get $a) (local.get $b))
              (then (i32.const 1))
              (else (if (result i32) (i32.and (i32.le_u (i32.sub (local.get $b) (local.get $a)) (i32.const 4))
                      (i32.or (i32.eq (i32.or (i32.load8_u (local.get $a)) (i32.const 32)) (i32.const 110)) (i32.eq (i32.load8_u (local.get $a)) (i32.const 63))))
                (then (call $isMissing (local.get $a) (local.get $b)))
                (else (i32.const 0)))))
          (then
            (local.set $x (f64.const nan))
            (local.set $missing (i32.add (local.get $missing) (i32.const 1))))
          (else
            (local.set $x (if (result f64) (local.get $kind)
              (then (call $date (local.get $a) (local.get $b)))
              (else (call $number (local.get $a) (local.get $b) (local.get $st)))))
            (br_if $stop (f64.ne (local.get $x) (local.get $x)))))
        (f64.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 3))) (local.get $x))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (local.set $at (i32.add (local.get $at) (local.get $width)))
        (br $records)))
    (i32.store offset=16 (local.get $st) (i32.add (i32.load offset=16 (local.get $st)) (local.get $missing)))
    (local.get $r))

  ;; Dictionaries of byte strings (the CSV side of core/byte-dict.ts): dense ids in first-seen
  ;; order with occurrence counts, in memory that JavaScript allocates. A descriptor (i32s):
  ;; 0 table (i32 slots: id + 1, 0 empty), 4 mask, 8 entries (16 bytes each: arena offset,
  ;; length, fnv1a hash, count), 12 entry capacity, 16 size, 20 arena, 24 arena capacity,
  ;; 28 arena used, 32 missing values met by the last dictIds call, 36 the size at which
  ;; dictIds stops (the caller's cap).

  ;; FNV-1a (32 bits) of [$s, $e), as core/stats.ts fnv1a.
  (func $fnv (param $s i32) (param $e i32) (result i32)
    (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $s) (local.get $e)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $s))) (i32.const 0x01000193)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $bytes)))
    (local.get $h))

  ;; The id of [$s, $s + $len) with hash $h (its count + 1), else a new entry for it: its id,
  ;; or -1 when the table, the entries or the arena are too small (nothing changed).
  (func $lookup (param $d i32) (param $s i32) (param $len i32) (param $h i32) (result i32)
    (local $table i32) (local $mask i32) (local $slot i32) (local $v i32) (local $ent i32) (local $k i32)
    (local $arena i32) (local $size i32) (local $used i32)
    (local.set $table (i32.load (local.get $d)))
    (local.set $mask (i32.load offset=4 (local.get $d)))
    (local.set $arena (i32.load offset=20 (local.get $d)))
    (local.set $slot (i32.and (local.get $h) (local.get $mask)))
    (block $absent
      (loop $probe
        (local.set $v (i32.load (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 2)))))
        (br_if $absent (i32.eqz (local.get $v)))
        (local.set $ent (i32.add (i32.load offset=8 (local.get $d)) (i32.shl (i32.sub (local.get $v) (i32.const 1)) (i32.const 4))))
        (if (i32.and (i32.eq (i32.load offset=8 (local.get $ent)) (local.get $h)) (i32.eq (i32.load offset=4 (local.get $ent)) (local.get $len)))
          (then
            (local.set $k (i32.const 0))
            (block $differ
              (loop $cmp
                (if (i32.ge_u (local.get $k) (local.get $len))
                  (then
                    (i32.store offset=12 (local.get $ent) (i32.add (i32.load offset=12 (local.get $ent)) (i32.const 1)))
                    (return (i32.sub (local.get $v) (i32.const 1)))))
                (br_if $differ (i32.ne
                  (i32.load8_u (i32.add (i32.add (local.get $arena) (i32.load (local.get $ent))) (local.get $k)))
                  (i32.load8_u (i32.add (local.get $s) (local.get $k)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $cmp)))))
        (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
        (br $probe)))
    ;; absent: room for one more (the table at most half full afterwards)?
    (local.set $size (i32.load offset=16 (local.get $d)))
    (local.set $used (i32.load offset=28 (local.get $d)))
    (if (i32.or
          (i32.or (i32.ge_u (local.get $size) (i32.load offset=12 (local.get $d)))
                  (i32.gt_u (i32.add (local.get $used) (local.get $len)) (i32.load offset=24 (local.get $d))))
          (i32.gt_u (i32.shl (i32.add (local.get $size) (i32.const 1)) (i32.const 1)) (i32.add (local.get $mask) (i32.const 1))))
      (then (return (i32.const -1))))
    (memory.copy (i32.add (local.get $arena) (local.get $used)) (local.get $s) (local.get $len))
    (local.set $ent (i32.add (i32.load offset=8 (local.get $d)) (i32.shl (local.get $size) (i32.const 4))))
    (i32.store (local.get $ent) (local.get $used))
    (i32.store offset=4 (local.get $ent) (local.get $len))
    (i32.store offset=8 (local.get $ent) (local.get $h))
    (i32.store offset=12 (local.get $ent) (i32.const 1))
    (i32.store (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 2))) (i32.add (local.get $size) (i32.const 1)))
    (i32.store offset=16 (local.get $d) (i32.add (local.get $size) (i32.const 1)))
    (i32.store offset=28 (local.get $d) (i32.add (local.get $used) (local.get $len)))
    (local.get $size))

  ;; The id of [$s, $e) in dictionary $d, counted once more or added; -1: grow it and call again.
  (func (export "dictAdd") (param $d i32) (param $s i32) (param $e i32) (result i32)
    (call $lookup (local.get $d) (local.get $s) (i32.sub (local.get $e) (local.get $s)) (call $fnv (local.get $s) (local.get $e))))

  ;; Re-inserts every entry of $d into the empty table $table of $mask + 1 slots, which it then uses.
  (func (export "dictRehash") (param $d i32) (param $table i32) (param $mask i32)
    (local $id i32) (local $size i32) (local $slot i32)
    (local.set $size (i32.load offset=16 (local.get $d)))
    (block $done
      (loop $entries
        (br_if $done (i32.ge_u (local.get $id) (local.get $size)))
        (local.set $slot (i32.and (i32.load offset=8 (i32.add (i32.load offset=8 (local.get $d)) (i32.shl (local.get $id) (i32.const 4)))) (local.get $mask)))
        (block $free
          (loop $probe
            (br_if $free (i32.eqz (i32.load (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 2))))))
            (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
            (br $probe)))
        (i32.store (i32.add (local.get $table) (i32.shl (local.get $slot) (i32.const 2))) (i32.add (local.get $id) (i32.const 1)))
        (local.set $id (i32.add (local.get $id) (i32.const 1)))
        (br $entries)))
    (i32.store (local.get $d) (local.get $table))
    (i32.store offset=4 (local.get $d) (local.get $mask)))

  ;; Whether [$s, $e), spaces and tabs trimmed, is empty or a missing marker (as core/values.ts).
  (func $absent (param $s i32) (param $e i32) (result i32)
    (local $c i32)
    (block $trimmed
      (loop $left
        (br_if $trimmed (i32.ge_u (local.get $s) (local.get $e)))
        (local.set $c (i32.load8_u (local.get $s)))
        (br_if $trimmed (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $left)))
    (block $trimmedR
      (loop $right
        (br_if $trimmedR (i32.le_u (local.get $e) (local.get $s)))
        (local.set $c (i32.load8_u (i32.sub (local.get $e) (i32.const 1))))
        (br_if $trimmedR (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9))))
        (local.set $e (i32.sub (local.get $e) (i32.const 1)))
        (br $right)))
    (if (result i32) (i32.eq (local.get $s) (local.get $e))
      (then (i32.const 1))
      (else (if (result i32) (i32.le_u (i32.sub (local.get $e) (local.get $s)) (i32.const 4))
        (then (call $isMissing (local.get $s) (local.get $e)))
        (else (i32.const 0))))))

  ;; Column $col of records [$from, $to) of a batch as dictionary ids into out[r] (i32), the
  ;; way ColumnBuilder.addField does for a string column: a missing marker (after trimming
  ;; spaces and tabs) is -1 and counted at descriptor offset 32; any other field, untrimmed,
  ;; gets its id. Stops at a field with doubled quotes, at one that does not fit (grow the
  ;; dictionary, call again), and after the field that brings the size to the cap; returns
  ;; the index of the first record not done.
  (func (export "dictIds")
    (param $buf i32) (param $starts i32) (param $ends i32) (param $flags i32)
    (param $width i32) (param $col i32) (param $from i32) (param $to i32) (param $d i32) (param $out i32) (result i32)
    (local $r i32) (local $at i32) (local $s i32) (local $e i32) (local $id i32) (local $missing i32)
    (local.set $r (local.get $from))
    (local.set $at (i32.add (i32.mul (local.get $from) (local.get $width)) (local.get $col)))
    (block $stop
      (loop $records
        (br_if $stop (i32.ge_u (local.get $r) (local.get $to)))
        (br_if $stop (i32.and (i32.load8_u (i32.add (local.get $flags) (local.get $at))) (i32.const 2)))
        (local.set $s (i32.add (local.get $buf) (i32.load (i32.add (local.get $starts) (i32.shl (local.get $at) (i32.const 2))))))
        (local.set $e (i32.add (local.get $buf) (i32.load (i32.add (local.get $ends) (i32.shl (local.get $at) (i32.const 2))))))
        (if (call $absent (local.get $s) (local.get $e))
          (then
            (local.set $id (i32.const -1))
            (local.set $missing (i32.add (local.get $missing) (i32.const 1))))
          (else
            (local.set $id (call $lookup (local.get $d) (local.get $s) (i32.sub (local.get $e) (local.get $s)) (call $fnv (local.get $s) (local.get $e))))
            (br_if $stop (i32.lt_s (local.get $id) (i32.const 0)))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (local.get $id))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (local.set $at (i32.add (local.get $at) (local.get $width)))
        (br_if $stop (i32.ge_u (i32.load offset=16 (local.get $d)) (i32.load offset=36 (local.get $d))))
        (br $records)))
    (i32.store offset=32 (local.get $d) (local.get $missing))
    (local.get $r))

  ;; Column $col of records [$from, $to) as raw bytes (free text; csv.ts CsvBatch.bytes): each
  ;; field's length into $lens[r] (i32; -1 for a missing marker, as $absent) and its bytes,
  ;; untrimmed, one after another from $out; the FNV-1a hash of each, mixed as stats.ts
  ;; HyperLogLog.add mixes it, into the 4096 registers (u8) at $regs. Stops at a field with
  ;; doubled quotes or one that does not fit in $cap bytes and returns its record index ($to
  ;; when all were done). Sets state offset 16 to the missing values, 24 to the bytes written.
  (func (export "bytes")
    (param $buf i32) (param $starts i32) (param $ends i32) (param $flags i32)
    (param $width i32) (param $col i32) (param $from i32) (param $to i32)
    (param $lens i32) (param $out i32) (param $cap i32) (param $regs i32) (param $st i32) (result i32)
    (local $r i32) (local $at i32) (local $s i32) (local $e i32) (local $len i32)
    (local $used i32) (local $missing i32) (local $h i32) (local $idx i32) (local $rank i32)
    (local.set $r (local.get $from))
    (local.set $at (i32.add (i32.mul (local.get $from) (local.get $width)) (local.get $col)))
    (block $stop
      (loop $records
        (br_if $stop (i32.ge_u (local.get $r) (local.get $to)))
        (br_if $stop (i32.and (i32.load8_u (i32.add (local.get $flags) (local.get $at))) (i32.const 2)))
        (local.set $s (i32.add (local.get $buf) (i32.load (i32.add (local.get $starts) (i32.shl (local.get $at) (i32.const 2))))))
        (local.set $e (i32.add (local.get $buf) (i32.load (i32.add (local.get $ends) (i32.shl (local.get $at) (i32.const 2))))))
        (if (call $absent (local.get $s) (local.get $e))
          (then
            (local.set $len (i32.const -1))
            (local.set $missing (i32.add (local.get $missing) (i32.const 1))))
          (else
            (local.set $len (i32.sub (local.get $e) (local.get $s)))
            (br_if $stop (i32.gt_u (i32.add (local.get $used) (local.get $len)) (local.get $cap)))
            (memory.copy (i32.add (local.get $out) (local.get $used)) (local.get $s) (local.get $len))
            (local.set $used (i32.add (local.get $used) (local.get $len)))
            (local.set $h (call $fnv (local.get $s) (local.get $e)))
            (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
            (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
            (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
            (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
            (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
            (local.set $idx (i32.add (local.get $regs) (i32.shr_u (local.get $h) (i32.const 20))))
            (local.set $rank (i32.add (i32.clz (i32.or (i32.shl (local.get $h) (i32.const 12)) (i32.const 0x800))) (i32.const 1)))
            (if (i32.gt_u (local.get $rank) (i32.load8_u (local.get $idx)))
              (then (i32.store8 (local.get $idx) (local.get $rank))))))
        (i32.store (i32.add (local.get $lens) (i32.shl (local.get $r) (i32.const 2))) (local.get $len))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (local.set $at (i32.add (local.get $at) (local.get $width)))
        (br $records)))
    (i32.store offset=16 (local.get $st) (local.get $missing))
    (i32.store offset=24 (local.get $st) (local.get $used))
    (local.get $r))
)
