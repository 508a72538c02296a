use clap::Parser;
use fiducia_loadtest::{Args, run};

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = builder.enable_all().build()?;
    let report = runtime.block_on(run(&args))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.text());
    }
    // --verify: an acknowledged token that is not active fails the run.
    if fiducia_loadtest::exit_code(&report) != 0 {
        eprintln!("fiducia-loadtest: --verify failed: not every acknowledged access token is active");
        std::process::exit(1);
    }
    Ok(())
}
