; The parts of one method parameter `pattern: Type` (run on one `parameter` node at a time).
; `_` (not `(_)`) also matches anonymous nodes: the wildcard pattern `_: u8`.
; A parameter whose pattern is `self` (`self: Box<Self>`) is a receiver, not a parameter.
(parameter
  pattern: _ @pattern
  type: _ @type) @param
