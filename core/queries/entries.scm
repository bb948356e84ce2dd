; A candidate entry: a method with a body inside a service's `impl` block. Run on one
; `function_item` node at a time (max start depth 0). `@modifiers` holds `async`, `const`, ...
(function_item
  (function_modifiers)? @modifiers
  name: (_) @name
  parameters: (parameters) @params
  body: (block) @body) @entry
