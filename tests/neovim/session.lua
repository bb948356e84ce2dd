-- A user's session in headless Neovim, driven by Neovim's own LSP client against coworks-lsp.
-- Opens a service file of the example project, collects the code lenses Neovim received, makes an
-- edit that duplicates a route, collects the diagnostics, undoes it, sees them clear, accepts a
-- completion (a stage in `#[entry(stage = "...")]`), misspells that stage and applies the quick fix
-- the server offers, and stops the server. Writes what Neovim received to $CWS_OUT as JSON; the
-- Rust test asserts on it.
--
-- Environment: COWORKS_LSP (server binary), CWS_ROOT (project root), CWS_FILE (file to open),
-- CWS_OUT (result file), CWS_API = "start" (vim.lsp.start, Neovim 0.8+) or "start_client"
-- (vim.lsp.start_client + vim.lsp.buf_attach_client, Neovim 0.7).

local result = { steps = {} }
local v = vim.version()
result.nvim = string.format("%d.%d.%d", v.major, v.minor, v.patch)

local function write_result()
  local f = assert(io.open(os.getenv("CWS_OUT"), "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
end

local function step(name)
  table.insert(result.steps, name)
end

local function wait_for(what, ms, cond)
  if not vim.wait(ms, cond, 50) then
    error("timed out waiting for " .. what)
  end
end

local function diagnostics(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code
    if code == nil and d.user_data and d.user_data.lsp then
      code = d.user_data.lsp.code
    end
    table.insert(out, { lnum = d.lnum, col = d.col, severity = d.severity, code = code, message = d.message })
  end
  return out
end

local function has_code(buf, code)
  for _, d in ipairs(diagnostics(buf)) do
    if d.code == code then
      return true
    end
  end
  return false
end

local function session()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("CWS_FILE")))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = "rust"
  local config = {
    name = "coworks",
    cmd = { os.getenv("COWORKS_LSP") },
    root_dir = os.getenv("CWS_ROOT"),
    init_options = { stage = "dev" },
  }
  local client_id
  if os.getenv("CWS_API") == "start" then
    client_id = vim.lsp.start(config, { bufnr = buf })
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(buf, client_id)
  end
  assert(client_id, "the client did not start")
  wait_for("initialize", 20000, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized == true
  end)
  step("started")

  -- Code lenses: ask until the server has answered with some.
  local lenses = {}
  for _ = 1, 100 do
    vim.lsp.codelens.refresh({ bufnr = buf })
    if vim.wait(200, function()
      lenses = vim.lsp.codelens.get(buf)
      return #lenses > 0
    end, 20) then
      break
    end
  end
  if #lenses == 0 then
    error("timed out waiting for code lenses")
  end
  result.lenses = {}
  for _, l in ipairs(lenses) do
    table.insert(result.lenses, {
      lnum = l.range.start.line,
      title = l.command and l.command.title,
      command = l.command and l.command.command,
      arguments = l.command and l.command.arguments,
    })
  end
  result.diagnostics_before = diagnostics(buf)
  step("lenses")

  -- Rename get_invoice_pdf to get_invoice: GET /invoice/{id} is then answered twice.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local edited
  for i, line in ipairs(lines) do
    if line:find("fn get_invoice_pdf%(") then
      edited = i - 1
      vim.api.nvim_buf_set_lines(buf, edited, edited + 1, false, { (line:gsub("get_invoice_pdf", "get_invoice")) })
      break
    end
  end
  assert(edited, "get_invoice_pdf not found")
  wait_for("the duplicate-route diagnostic", 20000, function()
    return has_code(buf, "CWS001")
  end)
  result.diagnostics_broken = diagnostics(buf)
  result.edited_line = edited
  step("broken")

  vim.api.nvim_buf_set_lines(buf, edited, edited + 1, false, { lines[edited + 1] })
  wait_for("the diagnostics to clear", 20000, function()
    return not has_code(buf, "CWS001")
  end)
  result.diagnostics_fixed = diagnostics(buf)
  step("fixed")

  local client = vim.lsp.get_client_by_id(client_id)
  local encoding = client.offset_encoding or "utf-16"
  -- Completion: the cursor inside `stage = "dev"`; the item `test` accepted (its text edit applied).
  local stage_line
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find('stage = "dev"', 1, true) then
      stage_line = i - 1
    end
  end
  assert(stage_line, 'no `stage = "dev"` line')
  local text = vim.api.nvim_buf_get_lines(buf, stage_line, stage_line + 1, false)[1]
  local col = text:find('stage = "', 1, true) + #'stage = "' - 1
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = { line = stage_line, character = col } }
  local responses = vim.lsp.buf_request_sync(buf, "textDocument/completion", params, 20000) or {}
  local chosen
  result.completion = {}
  for _, r in pairs(responses) do
    local items = r.result and (r.result.items or r.result) or {}
    for _, item in ipairs(items) do
      table.insert(result.completion, item.label)
      if item.label == "test" then
        chosen = item
      end
    end
  end
  assert(chosen, "no completion item `test`")
  vim.lsp.util.apply_text_edits({ chosen.textEdit }, buf, encoding)
  result.completed_line = vim.api.nvim_buf_get_lines(buf, stage_line, stage_line + 1, false)[1]
  step("completed")

  -- A misspelt stage: the server's quick fix, applied by Neovim.
  vim.api.nvim_buf_set_lines(buf, stage_line, stage_line + 1, false, { (result.completed_line:gsub('"test"', '"tset"')) })
  wait_for("the unknown-stage diagnostic", 20000, function()
    return has_code(buf, "CWS007")
  end)
  local title = "Replace `tset` with `test`"
  if vim.fn.has("nvim-0.8") == 1 then
    vim.api.nvim_win_set_cursor(0, { stage_line + 1, col + 1 })
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(action)
        return action.title == title
      end,
    })
  else
    local range = { start = { line = stage_line, character = col }, ["end"] = { line = stage_line, character = col } }
    local asked = { textDocument = { uri = vim.uri_from_bufnr(buf) }, range = range, context = { diagnostics = {} } }
    local answers = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", asked, 20000) or {}
    for _, r in pairs(answers) do
      for _, action in ipairs(r.result or {}) do
        if action.title == title then
          vim.lsp.util.apply_workspace_edit(action.edit, encoding)
        end
      end
    end
  end
  wait_for("the quick fix", 20000, function()
    local line = vim.api.nvim_buf_get_lines(buf, stage_line, stage_line + 1, false)[1]
    return line:find('"test"', 1, true) ~= nil and not has_code(buf, "CWS007")
  end)
  result.quickfixed_line = vim.api.nvim_buf_get_lines(buf, stage_line, stage_line + 1, false)[1]
  step("quickfixed")

  vim.lsp.stop_client(client_id)
  wait_for("the server to stop", 10000, function()
    return vim.lsp.get_client_by_id(client_id) == nil
  end)
  step("stopped")
end

local ok, err = pcall(session)
result.ok = ok
result.error = ok and vim.NIL or tostring(err)
write_result()
vim.cmd("qall!")
