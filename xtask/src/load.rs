//! `cargo xtask load serve`: the throughput of `warn serve` against nginx
//! serving the same published folder, measured side by side with the same
//! load generator (`wrk -t2 -c64 -d10s --latency`, three rounds alternating
//! between the servers, medians).
//!
//! Steps: build `warn` (release), seed demo submissions in a temporary data
//! folder, run `warn distribute`, start `warn serve --services distribution`
//! and nginx (a generated configuration with `try_files $uri/index`, the
//! layout of the published folder), then load a bundle of about 36 KB and the
//! date index on each, and print requests per second, p99 latency and the ratio.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell::Shell;

/// wrk runs per server and path, alternating between the servers.
const ROUNDS: usize = 3;

/// What one wrk run measured.
struct Measured {
    requests_per_second: f64,
    p99_ms: f64,
}

/// Runs `cargo xtask load serve [--cases N] [--duration 10s]`.
pub fn run(shell: &Shell, args: &[String]) -> anyhow::Result<()> {
    if args.first().map(String::as_str) != Some("serve") {
        bail!("usage: cargo xtask load serve [--cases N] [--duration 10s]");
    }
    let option = |name: &str| {
        args.iter()
            .position(|arg| arg == name)
            .and_then(|index| args.get(index + 1))
            .cloned()
    };
    let cases = option("--cases").unwrap_or_else(|| "3000".to_owned());
    let duration = option("--duration").unwrap_or_else(|| "10s".to_owned());
    crate::setup::load_tools(shell)?;
    shell.run(
        shell
            .cargo()
            .args(["build", "--release", "-p", "api", "--bin", "warn"]),
    )?;
    let target = shell.target_dir();
    let warn = target.join("release/warn");
    let work = std::env::temp_dir().join(format!("warn-load-{}", std::process::id()));
    let data = work.join("data");
    std::fs::create_dir_all(&data)?;
    let data_arg = data.display().to_string();
    shell.run(shell.command(&warn).args([
        "demo",
        "seed",
        "--cases",
        &cases,
        "--days",
        "14",
        "--data-dir",
        &data_arg,
    ]))?;
    shell.run(shell.command(&warn).args([
        "distribute",
        "--min-keys",
        "1",
        "--data-dir",
        &data_arg,
    ]))?;
    let public = data.join("public");
    let bundle = closest_bundle(&public, 36 * 1024)?;
    let date_index = "version/v1/diagnosis-keys/country/DE/date".to_owned();
    println!(
        "bundle: /{bundle} ({} bytes)",
        std::fs::metadata(public.join(&bundle).join("index"))?.len()
    );

    let warn_port = free_port()?;
    let nginx_port = free_port()?;
    let mut warn_server = shell
        .command(&warn)
        .args([
            "serve",
            "--services",
            "distribution",
            "--listen",
            &format!("127.0.0.1:{warn_port}"),
            "--data-dir",
            &data_arg,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start warn serve")?;
    let mut nginx = start_nginx(&work, &public, nginx_port)?;
    let result = (|| {
        wait_for(warn_port)?;
        wait_for(nginx_port)?;
        let mut rows = Vec::new();
        for path in [&bundle, &date_index] {
            // Alternate the two servers, so that a change in the machine's
            // load (other work on the 2 cores) hits both alike; report the
            // median of each.
            let mut nginx_runs = Vec::new();
            let mut warn_runs = Vec::new();
            for _ in 0..ROUNDS {
                nginx_runs.push(wrk(
                    &format!("http://127.0.0.1:{nginx_port}/{path}"),
                    &duration,
                )?);
                warn_runs.push(wrk(
                    &format!("http://127.0.0.1:{warn_port}/{path}"),
                    &duration,
                )?);
            }
            rows.push((path.clone(), median(warn_runs), median(nginx_runs)));
        }
        Ok::<_, anyhow::Error>(rows)
    })();
    stop(&mut warn_server);
    stop(&mut nginx);
    let rows = result?;
    println!("\n| path | warn serve req/s | warn p99 | nginx req/s | nginx p99 | ratio |");
    println!("|---|---|---|---|---|---|");
    for (path, warn_result, nginx_result) in rows {
        println!(
            "| /{path} | {:.0} | {:.2} ms | {:.0} | {:.2} ms | {:.2} |",
            warn_result.requests_per_second,
            warn_result.p99_ms,
            nginx_result.requests_per_second,
            nginx_result.p99_ms,
            warn_result.requests_per_second / nginx_result.requests_per_second
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// The run with the median throughput (its own p99 with it).
fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

/// The published bundle whose size is closest to `size` bytes.
fn closest_bundle(public: &Path, size: u64) -> anyhow::Result<String> {
    let mut best: Option<(u64, String)> = None;
    let mut stack = vec![public.join("version/v1/diagnosis-keys")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|name| name == "index") {
                let length = entry.metadata()?.len();
                let bytes = std::fs::read(&path)?;
                let distance = length.abs_diff(size);
                if bytes.starts_with(b"PK")
                    && best.as_ref().is_none_or(|(best, _)| distance < *best)
                {
                    let logical = path
                        .parent()
                        .and_then(|parent| parent.strip_prefix(public).ok());
                    if let Some(logical) = logical {
                        best = Some((distance, logical.display().to_string()));
                    }
                }
            }
        }
    }
    best.map(|(_, path)| path)
        .context("no bundle was published")
}

fn start_nginx(work: &Path, public: &Path, port: u16) -> anyhow::Result<Child> {
    let config = format!(
        "worker_processes auto;\ndaemon off;\npid {work}/nginx.pid;\nerror_log {work}/nginx-error.log;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
           open_file_cache max=1000 inactive=60s;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {public};\n\
             location /version/v1/ {{\n      default_type application/octet-stream;\n\
               add_header Cache-Control \"public, max-age=86400\";\n      try_files $uri/index =404;\n    }}\n  }}\n}}\n",
        work = work.display(),
        public = public.display(),
    );
    let path = work.join("nginx.conf");
    std::fs::write(&path, config)?;
    Command::new("nginx")
        .args([
            "-c",
            &path.display().to_string(),
            "-p",
            &work.display().to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start nginx (run as root)")
}

fn wrk(url: &str, duration: &str) -> anyhow::Result<Measured> {
    println!("    $ wrk -t2 -c64 -d{duration} --latency {url}");
    let output = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{duration}"), "--latency", url])
        .output()
        .context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        bail!("{url} answered errors:\n{text}");
    }
    let requests_per_second = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99_ms = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .and_then(|value| milliseconds(value.trim()))
        .with_context(|| format!("no 99% latency in wrk's output:\n{text}"))?;
    Ok(Measured {
        requests_per_second,
        p99_ms,
    })
}

/// `2.50ms`, `830.00us`, `1.02s` as milliseconds.
fn milliseconds(value: &str) -> Option<f64> {
    let (number, factor) = if let Some(number) = value.strip_suffix("us") {
        (number, 0.001)
    } else if let Some(number) = value.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = value.strip_suffix('s') {
        (number, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|number| number * factor)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing listens on port {port} after 30 s")
}

/// Stops a server with SIGTERM (nginx then stops its workers too).
fn stop(child: &mut Child) {
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|status| status.success());
    if !stopped {
        let _ = child.kill();
    }
    let _ = child.wait();
}
