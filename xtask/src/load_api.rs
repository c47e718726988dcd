//! `cargo xtask load api`: the verification service under load, on SQLite
//! and on PostgreSQL, measured with wrk beside a trivial route of the same
//! server (`/healthz`), so the figures are ratios taken in one run.
//!
//! Scenarios (each `wrk -t2 -cC -dSs --latency`):
//! - `trivial`: `GET /healthz`, the yardstick;
//! - `poll`: `POST /version/v1/testresult` with one of 2,000 registered tokens;
//! - `register`: `POST /version/v1/registrationToken` with a fresh hashed GUID.
//!
//! Every app-facing answer waits a random jitter of up to 20 ms (the fake
//! request model), so throughput comes from concurrency: hence 256
//! connections by default.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell::Shell;

/// Registration tokens the poll scenario spreads its requests over.
const TOKENS: usize = 2000;

/// Options of `cargo xtask load api`.
pub struct Options {
    /// Seconds per scenario.
    pub seconds: u32,
    /// Concurrent connections.
    pub connections: u32,
}

/// One scenario's figures.
struct Figures {
    requests_per_second: f64,
    p99_ms: f64,
    non_2xx: u64,
}

/// Runs every scenario on SQLite, then on PostgreSQL when one answers at
/// 127.0.0.1:5432, and prints a Markdown table.
pub fn run(shell: &Shell, options: &Options) -> anyhow::Result<()> {
    crate::setup::load_tools(shell)?;
    shell.run(
        shell
            .cargo()
            .args(["build", "--release", "--package", "api", "--bin", "warn"]),
    )?;
    let target = shell.target_dir();
    let warn = target.join("release/warn");
    let work = target.join("xtask/load-api");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;

    let mut rows = Vec::new();
    rows.extend(measure(&warn, &work, "sqlite", None, options)?);
    let database = format!("warn_load_{}", std::process::id());
    let admin = ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"];
    let created = Command::new("psql")
        .args(admin)
        .arg(format!("CREATE DATABASE {database}"))
        .status()
        .is_ok_and(|status| status.success());
    if created {
        let url = format!("postgres://postgres@127.0.0.1:5432/{database}");
        let result = measure(&warn, &work, "postgres", Some(&url), options);
        let _ = Command::new("psql")
            .args(admin)
            .arg(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .status();
        rows.extend(result?);
    } else {
        println!("(no PostgreSQL at 127.0.0.1:5432: measured SQLite only)");
    }

    let mut table = format!(
        "wrk -t2 -c{} -d{}s --latency, `cargo xtask load api`\n\n\
         | database | scenario | requests/s | ratio to trivial | p99 | non-2xx |\n\
         |---|---|---:|---:|---:|---:|\n",
        options.connections, options.seconds
    );
    for (database, scenario, figures, ratio) in &rows {
        table.push_str(&format!(
            "| {database} | {scenario} | {:.0} | {ratio:.2} | {:.1} ms | {} |\n",
            figures.requests_per_second, figures.p99_ms, figures.non_2xx
        ));
    }
    println!("\n{table}");
    std::fs::write(work.join("result.md"), &table)?;
    Ok(())
}

type Row = (String, &'static str, Figures, f64);

fn measure(
    warn: &Path,
    work: &Path,
    database: &str,
    url: Option<&str>,
    options: &Options,
) -> anyhow::Result<Vec<Row>> {
    let address = free_address()?;
    let data_dir = work.join(format!("data-{database}"));
    let mut command = Command::new(warn);
    command
        .args(["serve", "--listen", &address.to_string()])
        .arg("--data-dir")
        .arg(&data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for variable in ["WARN_CONFIG", "WARN_DATABASE_URL", "WARN_SERVICES"] {
        command.env_remove(variable);
    }
    if let Some(url) = url {
        command.args(["--database-url", url]);
    }
    let server = Server(command.spawn().context("cannot start warn serve")?);
    wait_until_ready(address)?;

    println!("==> {database}: registering {TOKENS} tests");
    let mut tokens = Vec::with_capacity(TOKENS);
    for index in 0..TOKENS {
        let key = format!("{:064x}", 0x5eed_0000_u64 + index as u64);
        let body = format!(r#"{{"key":"{key}","keyType":"GUID"}}"#);
        let (status, answer) = post(address, "/version/v1/registrationToken", &body)?;
        if status != 201 {
            bail!("registration answered {status}: {answer}");
        }
        let token = answer
            .split("\"registrationToken\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .context("no registration token in the answer")?;
        tokens.push(token.to_owned());
    }
    let poll_script = work.join(format!("poll-{database}.lua"));
    std::fs::write(&poll_script, poll_lua(&tokens))?;
    let register_script = work.join("register.lua");
    std::fs::write(&register_script, REGISTER_LUA)?;

    let base = format!("http://{address}");
    let trivial = wrk(&format!("{base}/healthz"), None, options)?;
    let poll = wrk(
        &format!("{base}/version/v1/testresult"),
        Some(&poll_script),
        options,
    )?;
    let register = wrk(
        &format!("{base}/version/v1/registrationToken"),
        Some(&register_script),
        options,
    )?;
    drop(server);
    let yardstick = trivial.requests_per_second;
    let poll_ratio = poll.requests_per_second / yardstick;
    let register_ratio = register.requests_per_second / yardstick;
    let database = database.to_owned();
    Ok(vec![
        (database.clone(), "trivial (GET /healthz)", trivial, 1.0),
        (database.clone(), "poll (testresult)", poll, poll_ratio),
        (
            database,
            "register (registrationToken)",
            register,
            register_ratio,
        ),
    ])
}

/// Kills the server when dropped, also on an early return.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_address() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn wait_until_ready(address: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if get(address, "/readyz").is_ok_and(|status| status == 200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("warn serve did not become ready at {address}")
}

fn get(address: SocketAddr, path: &str) -> anyhow::Result<u16> {
    exchange(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .map(|(status, _)| status)
}

fn post(address: SocketAddr, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
    exchange(
        address,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// One request on a fresh connection; the status and the body.
fn exchange(address: SocketAddr, request: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("not an HTTP answer")?;
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Ok((status, body))
}

fn wrk(url: &str, script: Option<&Path>, options: &Options) -> anyhow::Result<Figures> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2".to_owned(),
        format!("-c{}", options.connections),
        format!("-d{}s", options.seconds),
        "--latency".to_owned(),
    ]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    command.arg(url);
    let output = command.output().context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("wrk failed: {text}");
    }
    let number_after = |label: &str| -> Option<f64> {
        let line = text
            .lines()
            .find(|line| line.trim_start().starts_with(label))?;
        line.trim_start()[label.len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let requests_per_second = number_after("Requests/sec:").context("no Requests/sec")?;
    let p99 = text
        .lines()
        .find(|line| line.trim_start().starts_with("99%"))
        .and_then(|line| line.split_whitespace().nth(1))
        .context("no 99% latency")?;
    let non_2xx = number_after("Non-2xx or 3xx responses:").unwrap_or(0.0) as u64;
    Ok(Figures {
        requests_per_second,
        p99_ms: milliseconds(p99).context("unreadable latency")?,
        non_2xx,
    })
}

/// wrk's `812.00us`, `3.45ms`, `1.20s` in milliseconds.
fn milliseconds(text: &str) -> Option<f64> {
    for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] {
        if let Some(number) = text.strip_suffix(unit) {
            return number.parse::<f64>().ok().map(|value| value * factor);
        }
    }
    None
}

fn poll_lua(tokens: &[String]) -> String {
    let list: Vec<String> = tokens.iter().map(|token| format!("\"{token}\"")).collect();
    format!(
        "local tokens = {{{}}}\n\
         wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         math.randomseed(os.time())\n\
         request = function()\n  \
           local token = tokens[math.random(#tokens)]\n  \
           return wrk.format(nil, nil, nil, '{{\"registrationToken\":\"' .. token .. '\"}}')\n\
         end\n",
        list.join(",")
    )
}

/// Fresh 64-hex keys: the thread's number, random digits, a counter.
const REGISTER_LUA: &str = r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("number", threads)
end
local counter = 0
local prefix = nil
init = function(args)
  math.randomseed(os.time() * 1000 + number)
  prefix = string.format("%08x", number)
  for i = 1, 40 do prefix = prefix .. string.format("%x", math.random(0, 15)) end
end
request = function()
  counter = counter + 1
  local key = prefix .. string.format("%016x", counter)
  return wrk.format(nil, nil, nil, '{"key":"' .. key .. '","keyType":"GUID"}')
end
"#;

#[cfg(test)]
mod tests {
    use super::milliseconds;

    #[test]
    fn wrk_latencies_read_in_milliseconds() {
        assert_eq!(milliseconds("812.00us"), Some(0.812));
        assert_eq!(milliseconds("3.45ms"), Some(3.45));
        assert_eq!(milliseconds("1.20s"), Some(1200.0));
        assert_eq!(milliseconds("fast"), None);
    }
}
