//! One diagnostic type for every face: stable codes, severities, files, ranges, related locations.
//!
//! The table in `docs/diagnostics.md` documents every [`DiagnosticCode`]; a test keeps the two in step.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::text::{ByteRange, Span};

/// Where the documentation of the diagnostic codes is published: the repository named by the
/// workspace's Cargo metadata (`repository`). Every link to a code's section is made from it.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The project will not build, run or deploy as written.
    Error,
    /// Probably a mistake; the project still works.
    Warning,
    /// Information, e.g. a file that was skipped.
    Info,
    /// A suggestion.
    Hint,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        })
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $meaning:literal, $fix:literal; )*) => {
        /// A stable diagnostic code (`CWS001` ...). Codes are never reused for another meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum DiagnosticCode {
            $( #[doc = $meaning] $variant, )*
        }

        impl DiagnosticCode {
            /// Every code, in order.
            pub const ALL: &'static [DiagnosticCode] = &[$(DiagnosticCode::$variant),*];

            /// The code as printed: `CWS001`.
            pub fn as_str(self) -> &'static str {
                match self { $( DiagnosticCode::$variant => $code, )* }
            }

            /// The severity diagnostics with this code have.
            pub fn severity(self) -> Severity {
                match self { $( DiagnosticCode::$variant => Severity::$sev, )* }
            }

            /// What the code means (one line).
            pub fn meaning(self) -> &'static str {
                match self { $( DiagnosticCode::$variant => $meaning, )* }
            }

            /// How to fix it (one line).
            pub fn fix(self) -> &'static str {
                match self { $( DiagnosticCode::$variant => $fix, )* }
            }

            /// The code for a printed form such as `CWS001`.
            pub fn parse(s: &str) -> Option<DiagnosticCode> {
                Self::ALL.iter().copied().find(|c| c.as_str() == s)
            }
        }
    };
}

codes! {
    DuplicateRoute = "CWS001", Error,
        "Two entries of one service answer the same method and route in a common stage.",
        "Rename one entry, give it an explicit `path = \"...\"`, or limit the entries to different stages.";
    PathParamsMismatch = "CWS002", Error,
        "An explicit `path` names `{params}` that are not the entry's path parameters, or misses some.",
        "Make the `{names}` in `path` exactly the method's unattributed parameters.";
    PathParamType = "CWS003", Error,
        "A path parameter has a type that cannot be parsed from one URL segment.",
        "Use an integer, string, bool, char, UUID or a `FromStr` type; mark collections `#[query]` or `#[body]`.";
    BodyOnGetOrDelete = "CWS004", Error,
        "A `#[body]` parameter on a GET or DELETE entry: API Gateway drops the body of these requests.",
        "Use POST/PUT/PATCH, or pass the values as `#[query]` parameters.";
    MultipleBodies = "CWS005", Error,
        "More than one `#[body]` parameter: a request has one body.",
        "Keep one `#[body]` parameter; group the values in one struct.";
    MisspeltVerb = "CWS006", Hint,
        "The entry name starts with what looks like a misspelt HTTP verb, so it becomes `POST /<name>`.",
        "Spell the verb (get, post, put, patch, delete, options), or rename the entry if POST is meant.";
    UnknownStage = "CWS007", Warning,
        "An entry is limited to a stage that no workspace of `project.cws.yml` defines: it is never served.",
        "Add the stage under `workspaces:` or fix the stage name in `#[entry(stage = ...)]`.";
    BadAttribute = "CWS008", Error,
        "An argument of `#[service(...)]` or `#[entry(...)]` is unknown or has a wrong value.",
        "Use the documented arguments: `name = \"..\"` for services; `path`, `stage`, `stages`, `no_auth`, `binary_headers`, `throttle` for entries.";
    BadVerbPath = "CWS009", Error,
        "An explicit `path` is not a valid route: it must start with `/` and use `{name}` segments.",
        "Write the path as `/segment/{param}/...`.";
    ConfigSyntax = "CWS010", Error,
        "`project.cws.yml` is not valid YAML.",
        "Fix the YAML at the reported line.";
    ConfigVersion = "CWS011", Error,
        "`project.cws.yml` has no `version: 3`, or another version.",
        "Set `version: 3` at the top of the file.";
    ConfigUnknownKey = "CWS012", Error,
        "A key of `project.cws.yml` that CoWorks does not know (a typo, or a key at the wrong level).",
        "Fix the key's spelling or move it where it belongs; see docs/config.md.";
    ConfigUnknownOption = "CWS013", Error,
        "A command or option under `commands:` that CoWorks does not know.",
        "Use the commands and options listed in docs/config.md.";
    ConfigValueType = "CWS014", Error,
        "A value of `project.cws.yml` has the wrong type (e.g. text where a number is expected).",
        "Give the value the type the message names.";
    MissingEnvFile = "CWS015", Error,
        "An env file that a stage lists under `env_files` does not exist.",
        "Create the file, or remove it from the stage's `env_files`.";
    EnvSyntax = "CWS016", Error,
        "A line of a `.env` file is not `KEY=value`.",
        "Write the line as `KEY=value` (or comment it out with `#`).";
    ConfigTooComplex = "CWS017", Error,
        "`project.cws.yml` uses too many aliases or is too large or deep to read safely.",
        "Write the values out instead of expanding aliases; keep the file small.";
    UnknownService = "CWS018", Warning,
        "`project.cws.yml` configures a service that no Rust source defines.",
        "Fix the service name, or add the `#[coworks::service] impl`.";
    NoConfig = "CWS019", Info,
        "The project has no `project.cws.yml`: defaults are used (one stage, `dev`).",
        "Create `project.cws.yml` with `version: 3`.";
    FileSkipped = "CWS020", Warning,
        "A file was skipped: binary, not UTF-8, too large, or unreadable.",
        "Make the file valid UTF-8 Rust under the size limit, or ignore it in `.gitignore`.";
    DirUnreadable = "CWS021", Warning,
        "A directory of the project could not be read.",
        "Fix the directory's permissions, or ignore it in `.gitignore`.";
    SyntaxTolerated = "CWS022", Info,
        "The file has Rust syntax errors; services and entries were read by the tolerant parser.",
        "Fix the syntax errors (rustc and rust-analyzer report them).";
    EntryWithoutSelf = "CWS023", Error,
        "An `#[entry]` method has no `self` receiver: entries are called on the service.",
        "Add `&self` as the first parameter.";
    QueryParamType = "CWS024", Error,
        "A `#[query]` parameter has a type that cannot come from query strings.",
        "Use a scalar, `Option<T>` or `Vec<T>` of scalars; send structures as `#[body]`.";
    ServiceNameClash = "CWS025", Error,
        "Two different types (or crates) are services with the same name.",
        "Give one of them another name with `#[service(name = \"...\")]`.";
    InternalError = "CWS026", Error,
        "CoWorks failed while analysing this file (a bug in CoWorks, not in the project).",
        "Report it with the file; the rest of the project is still analysed.";
    PackageTooLarge = "CWS027", Error,
        "A service's Lambda package (`target/lambda/<service>/bootstrap.zip`) is over Lambda's limits: 50 MB zipped, 250 MB unzipped.",
        "Build in release mode, strip symbols (`strip = true` in the Cargo profile), or trim dependencies.";
    StageWithoutEnv = "CWS028", Warning,
        "An entry is limited to a stage that has no env file (`.env.<stage>` or `env_files`): it would deploy without the stage's settings.",
        "Create `.env.<stage>` (or list the stage's `env_files`), or limit the entry to another stage.";
    MissingDeployOption = "CWS029", Error,
        "A stage has no AWS `region` (nor a `profile` naming one) to deploy to.",
        "Set `region` under `commands.deploy` or the stage's `commands.deploy`, or pass `cws deploy --region`.";
    AsyncWithoutBucket = "CWS030", Warning,
        "An `async` entry can be called asynchronously, but its stage has no results `bucket`: the result could not be written.",
        "Set `bucket` (and `results_prefix`) under `commands.deploy`.";
    NoAuthInProduction = "CWS031", Warning,
        "A `no_auth` entry is deployed in a stage marked `production`: anyone can call it.",
        "Remove `no_auth`, limit the entry to other stages, or list its route under `public` of `commands.deploy` if it is meant to be public.";
    ApiGatewayRoute = "CWS032", Error,
        "API Gateway would reject a route: a path part with characters it does not accept, or two different `{names}` at the same place of one service's paths.",
        "Use letters, digits, `.`, `_`, `-`, `:` in path parts; name the parameter at one place alike in every route.";
    ApiTimeout = "CWS033", Warning,
        "A function's timeout is over API Gateway's 29 s: synchronous calls are answered 504 before the function ends.",
        "Keep `timeout` at 29 s or less, or call long entries asynchronously (`InvocationType: Event`).";
    LogRetention = "CWS034", Error,
        "`log_retention` is not a number of days CloudWatch Logs accepts.",
        "Use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653.";
    SnapStartUnsupported = "CWS035", Warning,
        "`snapstart` is set, but Lambda has no SnapStart for the `provided.al2023` runtime Rust functions use: it is ignored.",
        "Remove `snapstart`.";
    BadBackend = "CWS036", Error,
        "`backend` is not a mapping with exactly one key (`local`, `s3`, `cloud` or another backend type) holding its settings.",
        "Write e.g. `backend: {s3: {bucket: my-state, key: eshop.tfstate, region: eu-west-1}}`.";
    LambdaEnv = "CWS037", Error,
        "Lambda would reject a stage's environment: a variable name it does not accept (letters, digits, `_`, starting with a letter), a name it reserves (`AWS_REGION` ...), or more than 4 KB in all.",
        "Rename the variable, drop the reserved one (Lambda sets it), or move large values to a `*.secret` file (SSM) or S3.";
    WorkflowSyntax = "CWS038", Error,
        "A workflow file (`workflows/*.cws.yml`) is not valid YAML, or is too large or deep to read safely.",
        "Fix the YAML at the reported line; see docs/workflows.md.";
    WorkflowSchema = "CWS039", Error,
        "A workflow file has an unknown key, a value of the wrong type, or lacks a required key.",
        "Follow the workflow schema in docs/workflows.md (`schemas/workflow.schema.json`).";
    WorkflowUnknownService = "CWS040", Error,
        "A workflow task calls a service that no Rust source defines.",
        "Fix the service name (see `cws routes`), or add the service.";
    WorkflowUnknownEntry = "CWS041", Error,
        "A workflow task calls a method and path that no entry of the service answers (in the stage checked).",
        "Use a route that `cws routes` lists for the service, or add the entry.";
    WorkflowParams = "CWS042", Error,
        "A workflow task misses a parameter the entry needs (path, required query, body) or gives one it does not take.",
        "Give exactly the entry's parameters: `{name}` path segments with `params`, its `#[query]` names under `query`, its `#[body]` as `json`.";
    WorkflowBodyOnGet = "CWS043", Error,
        "A workflow task sends a `json` body with GET or DELETE: API Gateway drops the body of these requests.",
        "Remove `json`, or pass the values as `query` parameters.";
    WorkflowUnknownTask = "CWS044", Error,
        "A workflow template, edge or branch names a task the workflow does not define.",
        "Fix the task id; templates read `{{ tasks.<id>.status|headers|body... }}` or `{{ conf.<key> }}`.";
    WorkflowCycle = "CWS045", Error,
        "The tasks of a workflow depend on each other in a cycle: Airflow needs a DAG.",
        "Remove one of the edges (`after`, `on_success`, `on_failure`, `on_no_content`) of the cycle.";
    WorkflowUnreachable = "CWS046", Warning,
        "A workflow task can never run: every path to it goes through a cycle.",
        "Break the cycle, or make the task depend on tasks that can run.";
    WorkflowNoResultsBucket = "CWS047", Error,
        "A workflow task calls an entry asynchronously but the stage has no results bucket (`commands.deploy.bucket`).",
        "Set `bucket` under `commands: deploy:` (or the stage's workspace) in project.cws.yml.";
    WorkflowNotUpstream = "CWS048", Warning,
        "A workflow template or `when:` condition reads the result of a task that does not run before this one — for a task in another's `else`, the task it runs instead of, or a task after that one: they do not run when it does.",
        "Make the task depend on it (`after: [task]` or a branch), or read another value; an `else` task reads `conf` or the tasks that run before the task it replaces (`after` cannot help: it would make the `else` task wait for a task that does not run).";
    EnvFileOutside = "CWS049", Error,
        "An env file listed under `env_files` is outside the project (absolute, `..`, or a link out of it): it is not read, so nothing from outside the project reaches a deployment.",
        "Move the file into the project and list it by a relative path.";
    BadServiceName = "CWS050", Error,
        "A service name is not lowercase ASCII letters, digits, `_` and `-` starting with a letter (at most 40 characters): it names Lambda functions, Airflow connections and command lines.",
        "Rename the type or set `#[coworks::service(name = \"...\")]` with a valid name.";
    OutputOutside = "CWS051", Error,
        "An output directory of `project.cws.yml` (`commands.workflow.airflow_dags`) is outside the project (absolute, `..`, or a link out of it): nothing is written there.",
        "Use a directory inside the project, or name the directory on the command line (`cws workflow build -o DIR`).";
    PlainSecret = "CWS052", Warning,
        "A variable named like a secret (`TOKEN`, `*_KEY`, `*_SECRET`, `*PASSWORD*`, `*TOKEN*`) comes from a plain env file in a `production: true` stage: `cws deploy` writes it in clear into the Terraform files, the state and the Lambda configuration.",
        "Move it to `.env.<stage>.secret` (or another `*.secret` env file): secrets become SSM SecureString parameters and are never written to a file.";
    IamStatement = "CWS053", Error,
        "A statement of the `iam` option (extra permissions of the functions' roles) is malformed: no `actions` or `resources`, an action that is not `service:Action`, a resource that is not an ARN or `*`, or `Allow` of the action `*`.",
        "Write e.g. `iam: [{actions: [sqs:SendMessage], resources: ['arn:aws:sqs:*:*:shop-orders-*']}]` under the service's `commands.deploy`.";
    TerraformFileClash = "CWS054", Error,
        "A file of the project in `terraform/` has the name of a file `cws deploy` generates (`main.tf.json`, `<service>.tf.json`) but was not generated by it: the deploy refuses to overwrite it.",
        "Rename your file (any other `*.tf` or `*.tf.json` name is kept and applied with the generated ones); if an older cws wrote it, delete it.";
    UnsharedState = "CWS055", Warning,
        "A `production: true` stage keeps its Terraform state on the local backend (on one machine, without locking), or an `s3` backend does not lock the state: two deploys at once, or from two machines, can lose resources.",
        "Set `backend: {s3: {bucket: ..., key: ..., use_lockfile: true}}` under `commands.deploy` (or the stage's); see docs/deploy.md#team-state.";
    AsyncDestination = "CWS056", Error,
        "`on_failure` (where failed asynchronous invocations go) is not the ARN of an SQS queue or an SNS topic.",
        "Give the queue's or topic's ARN, e.g. `on_failure: arn:aws:sqs:eu-west-1:123456789012:shop-failed`.";
    BadThrottle = "CWS057", Error,
        "A `throttle` or `route_throttle` limit of `project.cws.yml`, or an entry's `#[entry(throttle = \"RATE/BURST\")]`, is not valid: the rate must be a positive number of requests per second and the burst a positive integer (one of them at least), and a `route_throttle` item must name a route of the service's entries in the stage other than `/`.",
        "Write e.g. `throttle: {rate: 50, burst: 100}`, `route_throttle: [{route: GET /invoices, rate: 5, burst: 10}]` (the routes `cws routes -s STAGE` prints) or `#[entry(throttle = \"5/10\")]`; limit the root route with `throttle`.";
    DomainCertificateRegion = "CWS058", Error,
        "The certificate of a custom `domain` is in the wrong region for its endpoint: an `edge` domain needs a certificate of `us-east-1` (CloudFront's), a `regional` one a certificate of the stage's own region (read from the certificate's ARN); API Gateway refuses any other.",
        "Request or import the certificate in the right region with ACM and give its ARN, or change `endpoint` (`regional` or `edge`).";
    DomainBasePathClash = "CWS059", Error,
        "Two services of a stage are mapped to the same base path of one custom domain (API Gateway keeps one API per path), or services sharing a domain give it different certificates or endpoint types.",
        "Give each service its own `base_path` under `services.<name>.commands.deploy.domain` (unset, a service sharing the domain is served under its name), and one certificate and endpoint per domain.";
    BadDomain = "CWS060", Error,
        "A custom `domain` is malformed: the name is not a host name (`api.example.com`), the certificate is not an ACM certificate's ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`), or the base path is not one path segment.",
        "Write e.g. `domain: {name: api.example.com, certificate_arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/…', base_path: billing}`.";
    WorkflowBadHeader = "CWS061", Error,
        "A workflow task's `headers` name a header that is not an HTTP token (RFC 9110), name one twice, name one the call sets itself (`Content-Type`, `Content-Length`, `Host`, the async contract's `InvocationType`, `X-CWS-S3Bucket`, `X-CWS-S3Key`), or give a value that is not visible ASCII text.",
        "Use a header name of letters, digits and `-` (e.g. `X-Request-Id`), leave the reserved ones to the call, and keep values to one line of ASCII text (templates allowed).";
    WorkflowFailureTask = "CWS062", Error,
        "The workflow's run-level `on_failure` task has edges: it has `after` or branches of its own, or another task names it in `after` or a branch. It runs after every other task, when one failed.",
        "Remove the edges to and from the task named by `on_failure` at the top of the workflow, or name another task.";
    MultipleContexts = "CWS063", Error,
        "An entry takes the request context (`ctx: &Context` or a `#[context]` parameter) more than once: a request has one context.",
        "Keep one context parameter.";
    ContextByValue = "CWS064", Error,
        "An entry takes the request context by value (`ctx: Context`): the context is lent to the entry, not given.",
        "Take it by reference: `ctx: &Context`.";
    BadHookSignature = "CWS067", Error,
        "A service's `before` or `after` hook (a method of the `#[coworks::service]` block with that name) does not have a hook's shape: `before` takes `&self` and the call (`&Call`), `after` takes `&self`, the call and the answer (`Response`); neither is generic.",
        "Write `fn before(&self, call: &Call) -> Result<(), Error>` (it may return `()`, `Option<impl IntoResponse>` or a `Result` of either, and be `async`) or `fn after(&self, call: &Call, answer: Response) -> Response`; rename a method that is no hook.";
    EntryNamedLikeHook = "CWS068", Error,
        "An `#[entry]` method is named `before` or `after`, the names of the service's hooks: hooks run around every entry and are never served.",
        "Rename the entry (e.g. `get_before`), or remove `#[entry]` to make the method the hook.";
    UnknownBlueprint = "CWS070", Error,
        "A service mounts a blueprint (`#[coworks::service(blueprints(Name = \"/prefix\"))]`) that no `#[coworks::blueprint] impl Name` of the service's crate defines.",
        "Fix the blueprint's name (the type of its `impl` block), or define the blueprint in the service's crate.";
    BadBlueprintPrefix = "CWS071", Error,
        "The prefix a blueprint is mounted at is not a path of literal segments: it must start with `/`, have no empty segment nor trailing `/`, no `{parameter}`, and only letters, digits, `-`, `_`, `.` or `~`.",
        "Write e.g. `blueprints(Admin = \"/admin\")` or `blueprints(Admin = \"/v1/admin\")`.";
    BlueprintMountedTwice = "CWS072", Error,
        "A service mounts the same blueprint twice at the same prefix: every entry of the blueprint would answer the same requests twice.",
        "Remove one of the mounts, or give it another prefix.";
    WorkflowUnknownField = "CWS074", Error,
        "A workflow template (`{{ tasks.x.body.field }}`) or a `when:` condition reads a field that the answer of the entry task `x` calls does not have, as the entry's return type (a serde struct or enum of the service's crate) says. Fields of types CoWorks does not find are not checked.",
        "Read a field the answer has (the message lists them; `cws openapi SERVICE` shows the whole answer), or change the entry's type.";
    WorkflowBodyUnknownField = "CWS075", Warning,
        "A workflow task's `json` body gives a field that the entry's `#[body]` type does not have: serde ignores it (or refuses the body with 422 when the type has `deny_unknown_fields`).",
        "Remove the field or fix its name (the message lists the type's fields).";
    WorkflowBodyMissingField = "CWS076", Error,
        "A workflow task's `json` body lacks a field the entry's `#[body]` type requires (not an `Option`, no `#[serde(default)]`): the service answers 422.",
        "Add the field to `json` (a value or a template such as `\"{{ conf.name }}\"`).";
    WorkflowBadCondition = "CWS077", Error,
        "A task's `when:` condition cannot be read: the expression language has paths (`conf.x`, `tasks.<id>.status`, `tasks.<id>.body.x`), literals (numbers, `'text'`, `true`, `false`, `null`, lists), comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`), `and`, `or`, `not` and parentheses. It reads no `item`: a condition is decided once, before the task calls, waits, fans out over `for_each` or runs Python.",
        "Write e.g. `when: tasks.order.body.total > 100 and conf.mode != 'dry'` or `when: tasks.x.status in [200, 204]`.";
    WorkflowConditionType = "CWS078", Warning,
        "A `when:` condition compares values of different types (a number with text, ...), or orders values that are not both numbers or both text, as the entry's types say: the comparison is always false, or fails the task at run time.",
        "Compare with a literal of the field's type (e.g. `tasks.order.body.total > 100`, not `> '100'`).";
    WorkflowWaitUntil = "CWS079", Error,
        "A workflow task's `wait_until` is malformed: not a mapping of `status`, `field`, `equals`, `interval`, `timeout` and `deferrable`, a status that is not an HTTP status (100–599), `field` without `equals` (or the reverse), a `field` that does not start with `status`, `headers` or `body`, an `interval` or `timeout` that is not a whole number of seconds ≥ 1 (interval at most timeout), a `deferrable` that is not `true` or `false`, or a wait on an `async` task (a task with `for_each` may wait: each item waits on its own).",
        "Write e.g. `wait_until: {status: 200, field: body.state, equals: shipped, interval: 5, timeout: 300}`; wait with a task of its own rather than on an async one.";
    WorkflowForEach = "CWS080", Error,
        "A workflow task's `for_each` is not exactly one template naming a list (`{{ conf.<key> }}` or `{{ tasks.<id>.body... }}` of a task that runs before), is given to an `async` task or one with `on_*` branches, or `{{ item }}` is used in a task without `for_each`.",
        "Write e.g. `for_each: \"{{ conf.skus }}\"` and read each item as `{{ item }}` (or `{{ item.field }}`); branch or call asynchronously from another task.";
    WorkflowPython = "CWS081", Error,
        "A workflow task's `python` is not `module.function` (two Python names: the module `workflows/<module>.py` and a function in it), or the task also gives keys of a call (`service`, `method`, `path`, `params`, `query`, `headers`, `json`, `async`, `wait_until`, `for_each`, `on_*` branches).",
        "Write e.g. `python: pricing.total` for `def total(conf, tasks)` in `workflows/pricing.py`, and remove the call's keys (a Python task calls no entry).";
    WorkflowPythonMissing = "CWS082", Error,
        "The function a `python` task names is not in the project: no `workflows/<module>.py` file, or no top-level `def <function>` in it (the core reads the file's text; it never runs it).",
        "Add the module file and the function (`def total(conf, tasks): ...` at the top level of `workflows/<module>.py`), or fix the names.";
    WorkflowElse = "CWS083", Error,
        "A workflow task's `else` is given without a `when:` condition (nothing chooses between the task and its `else` tasks), or names the task itself or a task that also runs after it (`after`, `on_*` of the same task): an `else` task runs instead of the task, when its condition is false.",
        "Give the task a `when:` condition, and list in `else` only tasks that do not otherwise follow it (e.g. `when: tasks.order.body.total > 100` with `else: [ship_standard]`).";
    WorkflowCredentialHeader = "CWS084", Error,
        "A workflow task's `headers` set `Authorization` or `x-api-key` (any case): the stage's token and the service's API key are the deployment's, and the call sends them itself — `TOKEN` of the stage's env files and the API key from the environment with `cws workflow run`, the password and the extra `api_key` of the service's Airflow connection in a DAG. A credential in a workflow file is committed with the repository, shared by every stage, and would replace the stage's own. An error, not a warning: the run refuses the header too.",
        "Remove the header from the task; give the token in the stage's env files (`TOKEN`, a `*.secret` file) and the API key in the environment (see docs/workflows.md, API key) or the Airflow connection (`cws workflow deploy`).";
    HttpApiBinaryTypes = "CWS088", Warning,
        "`binary_media_types` is set for a service served by an HTTP API (`api: http`), which has no such setting: the types are not deployed. An HTTP API needs none: it passes a request body that is not text base64-encoded, and decodes an answer the function marks base64-encoded (the entries' `binary_headers` answers), whatever the request's `Accept`.",
        "Remove `binary_media_types` for the stages or services with `api: http`, or keep `api: rest`.";
    HttpApiEdgeDomain = "CWS089", Error,
        "A service served by an HTTP API (`api: http`) is mapped to an `edge` custom domain: HTTP APIs are served by regional custom domains only, and API Gateway refuses the API mapping.",
        "Use `endpoint: regional` (a certificate of the stage's region) for the domain, or keep `api: rest` for the service.";
    ProvisionedOverReserved = "CWS090", Error,
        "`provisioned_concurrency` is more than the function's `reserved_concurrency`: Lambda refuses to keep more instances initialised than the function may ever run at once.",
        "Lower `provisioned_concurrency` to at most `reserved_concurrency`, or raise (or remove) `reserved_concurrency`.";
    HttpApiUsagePlan = "CWS091", Error,
        "`api_key` or `usage_plan` is set for a service served by an HTTP API (`api: http`): HTTP APIs have no API keys or usage plans, so the service would be deployed open to callers without a key.",
        "Keep `api: rest` for the service that needs API keys, or remove `api_key` / `usage_plan` for the stages or services with `api: http` (limit them with `throttle` and `route_throttle`).";
    BadUsagePlan = "CWS092", Error,
        "A `usage_plan` of `project.cws.yml` is not valid: a quota needs both `quota` (a positive integer) and `period` (`day`, `week` or `month`), and the per-key `rate` must be a positive number of requests per second and `burst` a positive integer.",
        "Write e.g. `usage_plan: {quota: 10000, period: month, rate: 10, burst: 20}`; every key is optional, but `quota` and `period` go together.";
}

/// Where the codes are documented, in the repository.
pub const DOCS_PATH: &str = "docs/diagnostics.md";

impl DiagnosticCode {
    /// The anchor of the code's section in `docs/diagnostics.md` (`cws001`).
    pub fn anchor(self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// The address of the code's section of `docs/diagnostics.md` in the repository ([`REPOSITORY`]).
    pub fn docs_url(self) -> String {
        format!("{REPOSITORY}/blob/main/{DOCS_PATH}#{}", self.anchor())
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DiagnosticCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for DiagnosticCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DiagnosticCode::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown code {s}")))
    }
}

/// One change to a file's text: the bytes `range` replaced by `new_text` (an insertion when the
/// range is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Edit {
    /// File, relative to the project root.
    pub file: PathBuf,
    /// The bytes replaced, in the text the project holds.
    pub range: ByteRange,
    /// What replaces them.
    pub new_text: String,
}

impl Edit {
    /// Replaces `range` of `file` with `new_text`.
    pub fn new(file: impl Into<PathBuf>, range: ByteRange, new_text: impl Into<String>) -> Self {
        Edit { file: file.into(), range, new_text: new_text.into() }
    }

    /// Inserts `new_text` at byte `at` of `file`.
    pub fn insert(file: impl Into<PathBuf>, at: usize, new_text: impl Into<String>) -> Self {
        Edit::new(file, ByteRange::new(at, at), new_text)
    }
}

/// A way out of a diagnostic, made by the core where the diagnostic is made: the editor offers it as
/// a quick fix, and `cws check --fix` applies it when it is `safe`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fix {
    /// What it does, for people: "Replace `comands` with `commands`".
    pub title: String,
    /// Whether it can be applied without asking: it only changes the text the diagnostic is about,
    /// to the one value that makes it valid (a misspelt key, a value out of range ...). Fixes that
    /// guess an intent (renaming a method, adding a stage) are not safe.
    pub safe: bool,
    /// The changes, applied together.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that is applied without asking (see [`Fix::safe`]).
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix { title: title.into(), safe: true, edits }
    }

    /// A fix offered to the user only.
    pub fn offered(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix { title: title.into(), safe: false, edits }
    }

    /// "Replace `old` with `new`" at `range` of `file`.
    pub fn replace(file: impl Into<PathBuf>, range: ByteRange, old: &str, new: &str, safe: bool) -> Self {
        let title = format!("Replace `{old}` with `{new}`");
        Fix { title, safe, edits: vec![Edit::new(file, range, new)] }
    }
}

/// Another place a diagnostic points at (e.g. the other entry of a duplicate route).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Related {
    /// File, relative to the project root.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// Where in the file.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// The fixes of a diagnostic: a list, kept one pointer wide (none allocates nothing), so that
/// diagnostics stay small where they travel in `Result`s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[allow(clippy::box_collection)] // One pointer wide on purpose (a `Vec` is three).
pub struct Fixes(Option<Box<Vec<Fix>>>);

impl Fixes {
    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The fixes, as a vector.
    pub fn into_vec(self) -> Vec<Fix> {
        self.0.map(|b| *b).unwrap_or_default()
    }
}

impl From<Vec<Fix>> for Fixes {
    fn from(v: Vec<Fix>) -> Self {
        Fixes((!v.is_empty()).then(|| Box::new(v)))
    }
}

impl<'a> IntoIterator for &'a Fixes {
    type Item = &'a Fix;
    type IntoIter = std::slice::Iter<'a, Fix>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::ops::Deref for Fixes {
    type Target = [Fix];
    fn deref(&self) -> &[Fix] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl Serialize for Fixes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        <[Fix]>::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Fixes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Fix>::deserialize(d).map(Fixes::from)
    }
}

/// A problem found in a project, with where it is and how serious it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: DiagnosticCode,
    /// Severity (the code's, unless said otherwise).
    pub severity: Severity,
    /// File, relative to the project root.
    #[serde(serialize_with = "crate::text::lossy_path")]
    pub file: PathBuf,
    /// Where in the file.
    pub span: Span,
    /// What is wrong, and where helpful what to do.
    pub message: String,
    /// Other places involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// Ways out, made by the core (quick fixes in the editor; `cws check --fix` applies the safe ones).
    #[serde(default, skip_serializing_if = "Fixes::is_empty")]
    pub fixes: Fixes,
}

impl Diagnostic {
    /// A diagnostic with the code's severity and no related places.
    pub fn new(
        code: DiagnosticCode,
        file: impl Into<PathBuf>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            file: file.into(),
            span,
            message: message.into(),
            related: Vec::new(),
            fixes: Fixes::default(),
        }
    }

    /// Adds a way out.
    pub fn with_fix(self, fix: Fix) -> Self {
        self.with_fixes([fix])
    }

    /// Adds the ways out given (none when `None`).
    pub fn with_fixes(mut self, fixes: impl IntoIterator<Item = Fix>) -> Self {
        self.add_fixes(fixes);
        self
    }

    /// Adds the ways out given.
    pub fn add_fixes(&mut self, fixes: impl IntoIterator<Item = Fix>) {
        let mut all = std::mem::take(&mut self.fixes).into_vec();
        all.extend(fixes);
        self.fixes = Fixes::from(all);
    }

    /// Adds a related place.
    pub fn with_related(mut self, file: impl Into<PathBuf>, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related { file: file.into(), span, message: message.into() });
        self
    }

    /// `file:line:col: severity[CODE]: message`, lines and columns 1-based, like rustc's short format;
    /// then one indented line per related place (`note:`) and per fix (`fix:`, marked when
    /// `cws check --fix` applies it).
    pub fn human(&self) -> String {
        let mut s = format!(
            "{}:{}:{}: {}[{}]: {}",
            self.file.display(),
            self.span.start.line + 1,
            self.span.start.col + 1,
            self.severity,
            self.code,
            self.message
        );
        for r in &self.related {
            s.push_str(&format!(
                "\n    {}:{}:{}: note: {}",
                r.file.display(),
                r.span.start.line + 1,
                r.span.start.col + 1,
                r.message
            ));
        }
        for f in self.fixes.iter() {
            let applied = if f.safe { " [cws check --fix]" } else { "" };
            s.push_str(&format!("\n    fix: {}{applied}", f.title));
        }
        s
    }
}

/// The documentation table of every code (the body of `docs/diagnostics.md`).
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | meaning | how to fix |\n|---|---|---|---|\n");
    for c in DiagnosticCode::ALL {
        out.push_str(&format!("| {} | {} | {} | {} |\n", c.as_str(), c.severity(), c.meaning(), c.fix()));
    }
    out
}

/// One section per code (the targets of [`DiagnosticCode::docs_url`]): the end of
/// `docs/diagnostics.md`.
pub fn markdown_sections() -> String {
    let mut out = String::new();
    for c in DiagnosticCode::ALL {
        out.push_str(&format!(
            "### {}\n\n**{}**. {}\n\nHow to fix: {}\n\n",
            c.as_str(),
            c.severity(),
            c.meaning(),
            c.fix()
        ));
    }
    out
}

/// Sorts diagnostics by file, then position, then code, so every face lists them in one order.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| (&a.file, a.span, a.code, &a.message).cmp(&(&b.file, b.span, b.code, &b.message)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in DiagnosticCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(DiagnosticCode::parse(c.as_str()), Some(*c));
            assert!(!c.meaning().is_empty() && !c.fix().is_empty());
        }
    }
}
