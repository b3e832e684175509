using System.CommandLine;

namespace Skiff.Commands;

/// <summary><c>skiff kubeconfig</c>: prints the admin kubeconfig the server wrote into its data directory.</summary>
internal static class KubeconfigCommand
{
    public static Command Create(TextWriter output)
    {
        Option<string> dataDirectory = OptionParsers.DataDirectory();
        var command = new Command("kubeconfig", "Print the admin kubeconfig.") { dataDirectory };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var directory = new DataDirectory(OptionParsers.Value(parseResult, dataDirectory));
            if (!File.Exists(directory.AdminKubeconfig))
            {
                throw new InvalidOperationException($"{directory.AdminKubeconfig} does not exist; start 'skiff server --data-dir {directory.Root}' first");
            }

            await output.WriteAsync(await File.ReadAllTextAsync(directory.AdminKubeconfig, cancellationToken));
            return SkiffCommandLine.Success;
        });
        return command;
    }
}
