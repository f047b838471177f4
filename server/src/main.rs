use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = einblick::cli::Cli::parse();
    match einblick::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("einblick: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
