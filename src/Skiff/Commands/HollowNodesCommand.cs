using System.CommandLine;
using System.Runtime.InteropServices;
using k8s;
using Skiff.Agent.Hollow;

namespace Skiff.Commands;

/// <summary>
/// <c>skiff hollow-nodes</c>: a SIMULATION of N nodes for scale tests and benchmarks (kubemark's hollow nodes, KWOK). It
/// registers Node objects, renews their Leases and marks pods bound to them Running; no container runs anywhere.
/// </summary>
internal static class HollowNodesCommand
{
    public static Command Create(TextWriter output)
    {
        Option<string> dataDirectory = OptionParsers.DataDirectory();
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig to use (default: the server's admin kubeconfig in --data-dir)." };
        var count = new Option<int>("--count")
        {
            Description = "How many nodes to simulate (1 to 100000).",
            DefaultValueFactory = _ => 10,
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value is >= 1 and <= 100_000)
                {
                    return value;
                }

                result.AddError($"--count \"{text}\" is not a number between 1 and 100000");
                return 0;
            },
        };
        var prefix = new Option<string>("--name-prefix") { Description = "Nodes are named <prefix>-0 … <prefix>-(N-1).", DefaultValueFactory = _ => "hollow" };
        var cpu = new Option<string>("--cpu") { Description = "Each node's cpu capacity.", DefaultValueFactory = _ => "4" };
        var memory = new Option<string>("--memory") { Description = "Each node's memory capacity.", DefaultValueFactory = _ => "16Gi" };
        var pods = new Option<string>("--pods") { Description = "Each node's pod capacity.", DefaultValueFactory = _ => "110" };
        var labels = new Option<string[]>("--label") { Description = "A label KEY=VALUE on every node (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("hollow-nodes", "SIMULATION for scale tests: register N fake nodes whose pods 'run' without containers.")
        {
            dataDirectory, kubeconfig, count, prefix, cpu, memory, pods, labels,
        };
        labels.Validators.Add(result =>
        {
            foreach (string label in result.Tokens.Select(t => t.Value).Where(l => l.IndexOf('=', StringComparison.Ordinal) <= 0))
            {
                result.AddError($"--label \"{label}\" is not KEY=VALUE");
            }
        });

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string path = parseResult.GetValue(kubeconfig) ?? new DataDirectory(OptionParsers.Value(parseResult, dataDirectory)).AdminKubeconfig;
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} does not exist; pass --kubeconfig or start 'skiff server' first");
            }

            var options = new HollowNodeOptions
            {
                Count = parseResult.GetValue(count),
                NamePrefix = OptionParsers.Value(parseResult, prefix),
                Cpu = OptionParsers.Value(parseResult, cpu),
                Memory = OptionParsers.Value(parseResult, memory),
                Pods = OptionParsers.Value(parseResult, pods),
                Labels = (parseResult.GetValue(labels) ?? []).Select(l => l.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal),
            };

            // Stop on SIGINT or SIGTERM: the simulation stops renewing, so its nodes go NotReady as stopped kubelets' would.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            await using (await HollowNodes.StartAsync(client, options, stop.Token))
            {
                await output.WriteLineAsync(
                    $"SIMULATION: {options.Count} hollow nodes {options.NamePrefix}-0…{options.NamePrefix}-{options.Count - 1} registered (label {HollowNodes.Label}=true); no container runs. Ctrl-C stops.");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            }

            return SkiffCommandLine.Success;

            void Cancel(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }
}
