using System.CommandLine;
using Skiff.Hosting;
using Skiff.Pki;

namespace Skiff.Commands;

/// <summary><c>skiff agent</c>: join a server with its token and run the node components.</summary>
internal static class AgentCommand
{
    public static Command Create(TextWriter error)
    {
        var server = new Option<Uri>("--server")
        {
            Description = "The server's URL, such as https://10.0.0.1:6443.",
            Required = true,
            CustomParser = result =>
            {
                string text = result.Tokens[0].Value;
                if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && uri.Scheme == Uri.UriSchemeHttps && uri.AbsolutePath == "/")
                {
                    return uri;
                }

                result.AddError($"--server \"{text}\" is not an https://host:port URL");
                return null;
            },
        };
        var token = new Option<JoinToken>("--token")
        {
            Description = "The join token from <data-dir>/token on the server.",
            Required = true,
            CustomParser = result =>
            {
                if (JoinToken.TryParse(result.Tokens[0].Value, out JoinToken? parsed, out string problem))
                {
                    return parsed;
                }

                result.AddError($"--token is malformed: {problem}");
                return null;
            },
        };
        Option<string> dataDirectory = OptionParsers.DataDirectory();
        Option<string> nodeName = OptionParsers.NodeName("The name of this machine's Node (default: the host name).");
        Option<LogLevel> logLevel = OptionParsers.LogLevel();

        var command = new Command("agent", "Join a skiff server as a node.") { server, token, dataDirectory, nodeName, logLevel };
        var nodeFlags = new NodeFlags();
        nodeFlags.AddTo(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var options = new AgentOptions
            {
                Server = OptionParsers.Value(parseResult, server),
                Token = OptionParsers.Value(parseResult, token),
                DataDirectory = Path.GetFullPath(OptionParsers.Value(parseResult, dataDirectory)),
                NodeName = OptionParsers.Value(parseResult, nodeName),
                LogLevel = parseResult.GetValue(logLevel),
                Node = nodeFlags.Read(parseResult),
            };
            var host = new AgentHost(options, error);
            return await host.RunAsync(cancellationToken);
        });
        return command;
    }
}
