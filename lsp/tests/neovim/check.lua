-- Run by tests/neovim.rs: headless Neovim attaches coworks-lsp (through the shipped
-- editors/neovim/coworks.lua) to a file of the example project and writes what it received as JSON.
local bin, setup, file, out = os.getenv('COWORKS_LSP_BIN'), os.getenv('COWORKS_SETUP'),
  os.getenv('COWORKS_FILE'), os.getenv('COWORKS_OUT')
local coworks = dofile(setup)
local result = { version = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) }

local function finish()
  local f = io.open(out, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local id = coworks.attach(buf, { cmd = { bin }, stage = 'dev' })
  result.client = id ~= nil
  -- Diagnostics as Neovim stores them (0-based lines, byte columns).
  vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message,
      code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end
  -- Code lenses as Neovim's client receives them.
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf) }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeLens', params, 20000) or {}
  result.lenses = {}
  for _, r in pairs(responses) do
    for _, lens in ipairs(r.result or {}) do
      table.insert(result.lenses, { line = lens.range.start.line, title = lens.command.title,
        command = lens.command.command, arguments = lens.command.arguments })
    end
  end
  -- One lens command, executed through Neovim.
  local invoke
  for _, l in ipairs(result.lenses) do
    if l.command == 'coworks.invoke' then invoke = l break end
  end
  if invoke then
    local exec = vim.lsp.buf_request_sync(buf, 'workspace/executeCommand',
      { command = invoke.command, arguments = invoke.arguments }, 20000) or {}
    for _, r in pairs(exec) do result.executed = r.result end
  end
end)
if not ok then result.error = tostring(err) end
finish()
