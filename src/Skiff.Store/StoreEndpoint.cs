namespace Skiff.Store;

/// <summary>A parsed <c>--datastore-endpoint</c>.</summary>
/// <param name="Backend">The engine.</param>
/// <param name="SqlitePath">The database file, for SQLite.</param>
/// <param name="EtcdEndpoints">The client URLs (<c>http://host:port</c>), for etcd.</param>
public sealed record StoreEndpoint(StoreBackend Backend, string? SqlitePath, IReadOnlyList<string> EtcdEndpoints)
{
    /// <summary>Parses a SQLite path, <c>sqlite://PATH</c>, <c>etcd://host:port,...</c> or <c>memory://</c>.</summary>
    /// <exception cref="FormatException">The endpoint is empty or names an unknown scheme or a bad host:port.</exception>
    public static StoreEndpoint Parse(string endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            throw new FormatException("the datastore endpoint is empty; give a SQLite file path or etcd://host:port[,host:port...]");
        }

        if (endpoint.StartsWith("etcd://", StringComparison.Ordinal))
        {
            string[] hosts = endpoint["etcd://".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (hosts.Length == 0)
            {
                throw new FormatException($"datastore endpoint \"{endpoint}\" names no etcd host; use etcd://host:port[,host:port...]");
            }

            var urls = new List<string>(hosts.Length);
            foreach (string host in hosts)
            {
                string hostPort = host.TrimEnd('/');
                if (!Uri.TryCreate("http://" + hostPort, UriKind.Absolute, out Uri? uri) || uri.IsDefaultPort || uri.AbsolutePath != "/")
                {
                    throw new FormatException($"etcd endpoint \"{host}\" is not host:port (for example 127.0.0.1:2379)");
                }

                urls.Add($"http://{uri.Authority}");
            }

            return new StoreEndpoint(StoreBackend.Etcd, null, urls);
        }

        if (endpoint.StartsWith("memory://", StringComparison.Ordinal))
        {
            return new StoreEndpoint(StoreBackend.Memory, null, []);
        }

        string path = endpoint.StartsWith("sqlite://", StringComparison.Ordinal) ? endpoint["sqlite://".Length..] : endpoint;
        if (path.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"datastore endpoint \"{endpoint}\" has an unknown scheme; use a SQLite file path, sqlite://PATH or etcd://host:port");
        }

        if (path.Length == 0)
        {
            throw new FormatException("the SQLite datastore path is empty");
        }

        return new StoreEndpoint(StoreBackend.Sqlite, Path.GetFullPath(path), []);
    }
}
