using System.Text;
using Microsoft.Data.Sqlite;

namespace Skiff.Store.Sqlite;

/// <summary>
/// Checks an existing file before the store writes anything to it, so a foreign or damaged file is reported and never
/// overwritten.
/// </summary>
internal static class SqliteFileCheck
{
    private static readonly byte[] s_header = Encoding.ASCII.GetBytes("SQLite format 3\0");

    public static bool IsAbsentOrEmpty(string path)
    {
        var info = new FileInfo(path);
        return !info.Exists || info.Length == 0;
    }

    public static void EnsureOurs(string path)
    {
        byte[] header = new byte[s_header.Length];
        int read;
        try
        {
            using FileStream stream = File.OpenRead(path);
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (IOException ex)
        {
            throw new StoreCorruptException($"cannot read the datastore file {path}: {ex.Message}", ex);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual(s_header))
        {
            throw new StoreCorruptException(
                $"{path} is not a SQLite database (it may be damaged or belong to another program); Skiff left it untouched. " +
                "Move it away or point --datastore-endpoint elsewhere.");
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
            }.ToString());
            connection.Open();
            long applicationId = Scalar(connection, "PRAGMA application_id");
            if (applicationId != SqliteSchema.ApplicationId)
            {
                throw new StoreCorruptException(
                    $"{path} is a SQLite database of another program (application_id {applicationId}), not a Skiff datastore; Skiff left it untouched.");
            }

            long version = Scalar(connection, "PRAGMA user_version");
            if (version != SqliteSchema.Version)
            {
                throw new StoreCorruptException($"{path} has datastore schema version {version}; this Skiff reads version {SqliteSchema.Version}.");
            }

            using SqliteCommand check = connection.CreateCommand();
            check.CommandText = "PRAGMA quick_check";
            string? verdict = check.ExecuteScalar() as string;
            if (verdict != "ok")
            {
                throw new StoreCorruptException($"{path} failed SQLite's integrity check ({verdict}); Skiff left it untouched. Restore it from a backup.");
            }
        }
        catch (SqliteException ex)
        {
            throw new StoreCorruptException($"{path} cannot be read as a Skiff datastore ({ex.Message}); Skiff left it untouched.", ex);
        }
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }
}
