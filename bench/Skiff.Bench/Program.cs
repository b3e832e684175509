using System.Collections.Frozen;

namespace Skiff.Bench;

internal static class Program
{
    // One entry per benchmark; later ones (api, scheduler, ...) add a line here.
    private static readonly FrozenDictionary<string, Func<TextWriter, TextWriter, TimeProvider, CancellationToken, Task>> s_benchmarks =
        new Dictionary<string, Func<TextWriter, TextWriter, TimeProvider, CancellationToken, Task>>(StringComparer.Ordinal)
        {
            ["store"] = Store.StoreBenchmark.RunAsync,
            ["api"] = Api.ApiBenchmark.RunAsync,
            ["controllers"] = Controllers.ControllersBenchmark.RunAsync,
            ["scheduler"] = Scheduler.SchedulerBenchmark.RunAsync,
            ["pods"] = Pods.PodsBenchmark.RunAsync,
            ["network"] = Network.NetworkBenchmark.RunAsync,
        }.ToFrozenDictionary(StringComparer.Ordinal);

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !s_benchmarks.TryGetValue(args[0], out var run))
        {
            await Console.Error.WriteLineAsync("usage: Skiff.Bench <" + string.Join('|', s_benchmarks.Keys.Order(StringComparer.Ordinal)) + ">");
            return 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        // The report goes to stdout; progress goes to stderr so the report can be redirected to a file as it is.
        await run(Console.Out, Console.Error, TimeProvider.System, cancellation.Token);
        return 0;
    }
}
