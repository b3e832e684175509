namespace Skiff.Store;

/// <summary>Limits every backend enforces the same way.</summary>
public static class StoreLimits
{
    /// <summary>1.5 MiB: etcd's default request size limit, which kube-apiserver objects must fit in.</summary>
    public const int MaxValueBytes = 1536 * 1024;

    /// <summary>Throws <see cref="ValueTooLargeException"/> when the value is over <see cref="MaxValueBytes"/>.</summary>
    public static void EnsureValueSize(string key, ReadOnlyMemory<byte> value)
    {
        if (value.Length > MaxValueBytes)
        {
            throw new ValueTooLargeException(key, value.Length, MaxValueBytes);
        }
    }

    /// <summary>The smallest key greater than every key that starts with <paramref name="prefix"/>, or null when none exists.</summary>
    public static string? PrefixEnd(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        char[] chars = prefix.ToCharArray();
        for (int i = chars.Length - 1; i >= 0; i--)
        {
            if (chars[i] < char.MaxValue)
            {
                chars[i]++;
                return new string(chars, 0, i + 1);
            }
        }

        return null;
    }
}
