//! A throwaway PostgreSQL cluster from the installed binaries, for machines
//! without a running server. Started once per test process; a watcher shell
//! stops it and removes its directory when the process exits.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Starts a cluster on a free port; its admin URL.
pub(crate) fn start() -> Result<String, String> {
    start_with("pg", |_| Ok(String::new())).map(|(url, _)| url)
}

/// Starts a cluster on a free port in a directory named after `name`;
/// `configure` is given the data directory after `initdb` and returns extra
/// server options (`-c name=value …`). Its admin URL and the data directory.
pub(crate) fn start_with(
    name: &str,
    configure: impl FnOnce(&Path) -> Result<String, String>,
) -> Result<(String, PathBuf), String> {
    let bin = find_bin_dir().ok_or("initdb not found on PATH nor in /usr/lib/postgresql/*/bin")?;
    let dir = std::env::temp_dir().join(format!("llm-lifecycle-{name}-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let port = free_port()?;
    let as_root = is_root();
    if as_root {
        run(Command::new("chown").arg("-R").arg("postgres").arg(&dir))?;
    }
    let tool = |name: &str| -> Command {
        let program = bin.join(name);
        if as_root {
            let mut command = Command::new("runuser");
            command.arg("-u").arg("postgres").arg("--").arg(program);
            command
        } else {
            Command::new(program)
        }
    };
    run(tool("initdb").arg("-D").arg(&data).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
    ]))?;
    let options = configure(&data)?;
    if as_root {
        run(Command::new("chown").arg("-R").arg("postgres").arg(&data))?;
    }
    run(tool("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-o")
        .arg(format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 {options}",
            dir.display()
        ))
        .arg("-l")
        .arg(dir.join("log"))
        .args(["-w", "start"]))?;
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}{pg_ctl} -D {data} -m immediate stop; rm -rf {dir}",
        pid = std::process::id(),
        runas = if as_root {
            "runuser -u postgres -- "
        } else {
            ""
        },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(stop)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the cluster watcher: {e}"))?;
    Ok((
        format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        data,
    ))
}

pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        found.sort();
        found.pop()
    })
}

pub(crate) fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("finding a free port: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| e.to_string())
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}
