import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export interface SourceSettings {
  allowedOrigins?: string[];
  /** Browser routes: when true, no cookie is set and the visitor id is a daily-rotating hash. */
  cookieless?: boolean;
  /** Domain attribute of the visitor cookie, so that subdomains share it (e.g. `.example.com`). */
  cookieDomain?: string;
}

@Entity('sources')
export class Source {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** SHA-256 hex of the write key; the key itself is shown once and never stored. */
  @Column({ name: 'write_key_hash', type: 'char', length: 64, unique: true })
  writeKeyHash: string;

  @Column({ name: 'public_key', type: 'varchar', length: 64, unique: true })
  publicKey: string;

  @Column({ type: 'json' })
  settings: SourceSettings;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
