fn main() -> std::process::ExitCode {
    leastcap::main()
}
