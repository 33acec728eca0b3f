;; The CSV tokenizer of src/store/import/csv.ts in WebAssembly, compiled at build time by
;; scripts/wasm.js into csv.generated.ts (base64). Unquoted fields are scanned sixteen bytes at
;; a time (SIMD). One call parses one record; the JavaScript side keeps the header, ragged row
;; and error handling.
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
  (func (export "next")
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
    (local.get $nf)))
